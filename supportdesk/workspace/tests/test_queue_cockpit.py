"""The queue as the SLA cockpit: business time left per row, risk colours, counters per team,
filters in the URL with keyset pages, the htmx refresh, and the query budget."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from supportdesk.accounts.models import User
from supportdesk.sla.tests.helpers import msk, ngfw_ticket, sep_ticket
from supportdesk.tickets.models import Ticket, TicketState

# Monday 23 November 2026, noon in Moscow; regulation 000 works 08:00-20:00 (720 min a day).
NOW = msk(2026, 11, 23, 12)
HOME = reverse("workspace:home")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(cast):
    User.objects.update(language="en")
    return cast


@pytest.fixture
def base(cast) -> Ticket:
    """Essential P4 of regulation 000 (reaction 720 business minutes), registered at 09:00."""
    return sep_ticket(cast, now=NOW - dt.timedelta(hours=3))


def clone(ticket: Ticket, n: int, **fields) -> Ticket:
    copy = Ticket.objects.get(pk=ticket.pk)
    copy.pk = None
    copy.number = f"{ticket.number}-{n}"
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def due(ticket: Ticket, n: int, at: dt.datetime | None, **fields) -> Ticket:
    """A copy whose running reaction deadline (the nearest one) is ``at``."""
    return clone(ticket, n, reaction_due_at=at, sla_due_at=at, **fields)


def standing(response) -> dict[str, tuple[str, str]]:
    """Per ticket number: the status and the time left as the row shows it."""
    html = response.content.decode()
    result = {}
    for ticket, glance, _hit in response.context["rows"]:
        result[ticket.number] = (glance.status, glance.left_minutes)
        assert ticket.number in html
    return result


def numbers(response) -> list[str]:
    return [t.number for t in response.context["tickets"]]


def test_rows_show_business_time_left_and_risk(client, english, base):
    cast = english
    overdue = due(base, 1, msk(2026, 11, 23, 9, 24))  # 2 h 36 min of working time ago
    before_opening = due(base, 2, msk(2026, 11, 23, 7))  # overdue counts from 08:00 only
    warning = due(base, 3, msk(2026, 11, 23, 14))  # 120 min left <= 20 % of 720
    ok = due(base, 4, msk(2026, 11, 23, 15))  # 180 min left
    paused = clone(
        base, 5, reaction_met_at=NOW, state=TicketState.WAITING_FOR_CUSTOMER, sla_due_at=None
    )
    client.force_login(cast.manager)

    response = client.get(HOME)

    rows = standing(response)
    assert rows[overdue.number] == ("breached", -156)
    assert rows[before_opening.number] == ("breached", -240)
    assert rows[warning.number] == ("warning", 120)
    assert rows[ok.number] == ("ok", 180)
    # Registered 09:00, reaction due on Tuesday 09:00: 8 h today and 1 h tomorrow.
    assert rows[base.number] == ("ok", 540)
    assert rows[paused.number] == ("paused", None)
    html = response.content.decode()
    assert 'data-left="-156.00" data-ticking="1"' in html and "\u22122 h 36 min" in html
    assert '<span class="left sla-warning" data-left="120.00"' in html
    assert '<span class="left sla-paused">paused</span>' in html
    assert 'class="row-breached"' in html
    # Owner, organization, priority and age are columns of the row, not behind a scroll.
    for heading in ("Owner", "Organization", "Priority", "Age", "Time left"):
        assert f'<th scope="col">{heading}</th>' in html
    assert ">3 h<" in html  # the age of the base ticket


def test_countdown_stops_outside_working_hours(client, english, base):
    due(base, 1, msk(2026, 11, 24, 10))

    with time_machine.travel(msk(2026, 11, 23, 21), tick=False):
        # Signed in at 21:00: an agent's session ends after an hour without a request.
        client.force_login(english.manager)
        html = client.get(HOME).content.decode()

    # At 21:00 the calendar is closed: time left (2 h on Tuesday) does not tick in the browser.
    assert 'data-left="120.00" title' in html
    assert "data-ticking" not in html


def test_counters_per_team(client, english, base):
    cast = english
    due(base, 1, NOW - dt.timedelta(minutes=5))  # breached
    due(base, 2, msk(2026, 11, 23, 19), owner=cast.engineer.agent)  # breaches today, assigned
    due(base, 3, msk(2026, 11, 24, 10))  # tomorrow
    waiting = TicketState.WAITING_FOR_CUSTOMER
    clone(base, 4, state=waiting, sla_due_at=None, owner=cast.engineer.agent)
    clone(base, 5, state=TicketState.CLOSED, closed_at=NOW, sla_due_at=NOW - dt.timedelta(hours=1))
    ngfw_ticket(cast, now=NOW - dt.timedelta(hours=1))
    client.force_login(cast.engineer)

    counters = {c.team.name: c for c in client.get(HOME).context["counters"]}

    russian = counters["Russian support"]
    # Unassigned: base, 1 and 3; the closed one counts nowhere.
    assert (russian.breached, russian.at_risk, russian.unassigned, russian.waiting) == (1, 1, 3, 1)
    assert set(counters) == {"Russian support", "UserGate support"}
    assert counters["UserGate support"].unassigned == 1


def test_filters_combine_and_stay_in_the_pages(client, english, base):
    cast = english
    breached = [due(base, n, NOW - dt.timedelta(minutes=n)) for n in range(1, 30)]
    due(base, 90, NOW - dt.timedelta(minutes=1), owner=cast.engineer.agent)
    due(base, 91, msk(2026, 11, 23, 19))
    client.force_login(cast.manager)
    query = {
        "risk": "breached",
        "unassigned": "1",
        "regulation": base.regulation_id,
        "priority": base.priority_id,
        "organization": base.organization_id,
        "state": "registered",
        "team": base.team_id,
    }

    first = client.get(HOME, query)
    second = client.get(HOME + first.context["next_url"])

    expected = sorted(breached, key=lambda t: (t.sla_due_at, t.pk))
    assert numbers(first) + numbers(second) == [t.number for t in expected]
    for name, value in query.items():
        assert f"{name}={value}" in first.context["next_url"]
    assert first.context["organization"].name == base.organization.name
    at_risk = client.get(HOME, {"risk": "at_risk"})
    assert numbers(at_risk) == [f"{base.number}-91"]
    other_org = client.get(HOME, {"organization": cast.customer_beta.contact.organization_id})
    assert numbers(other_org) == []


def test_bad_filter_values_are_ignored(client, english, base):
    client.force_login(english.manager)

    response = client.get(
        HOME,
        {"team": "x", "regulation": "9" * 40, "state": "nonsense", "risk": "?", "after": "--"},
    )

    assert response.status_code == 200
    assert numbers(response) == [base.number]
    assert response.context["filters"] == {}


def test_query_budget_with_every_filter(client, english, base, django_assert_max_num_queries):
    cast = english
    for n in range(40):
        due(base, n, NOW + dt.timedelta(minutes=n - 20))
    ngfw_ticket(cast, now=NOW - dt.timedelta(hours=1))
    client.force_login(cast.manager)
    views = [
        {},
        {"view": "closed"},
        {"team": base.team_id},
        {"mine": "1"},
        {"unassigned": "1", "risk": "at_risk", "priority": base.priority_id},
        {"regulation": base.regulation_id, "organization": base.organization_id},
        {"state": "registered", "risk": "breached"},
    ]

    for params in views:
        # Session, user, agent, teams with counters, two ranges of tickets, SLA cells with their
        # calendars' hours and overrides, the priorities (and regulations) of the filter.
        with django_assert_max_num_queries(10):
            assert client.get(HOME, params).status_code == 200


def test_htmx_refresh_renders_the_live_part_alone(client, english, base):
    client.force_login(english.manager)

    response = client.get(HOME, {"team": base.team_id}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-live"')
    assert "<html" not in html and base.number in html
    assert f'hx-get="{HOME}?team={base.team_id}"' in html
    assert 'hx-trigger="every 30s"' in html
    assert "updated 0 s ago" in html


def test_queue_in_russian(client, cast, base):
    due(base, 1, msk(2026, 11, 23, 9, 24))
    client.force_login(cast.engineer)

    html = client.get(HOME).content.decode()

    assert "\u22122 ч 36 мин" in html
    assert "Осталось" in html and "Нарушено" in html
