"""The queue by team in nearest-deadline order, and the outbox and background health page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from supportdesk.accounts.models import User
from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
from supportdesk.sla.tests.helpers import msk, sep_ticket
from supportdesk.tickets.models import Ticket, TicketState
from supportdesk.tickets.queries import sla_queue_page

NOW = msk(2026, 11, 23, 12)
HOME = reverse("workspace:home")
OUTBOX = reverse("workspace:outbox")
MESSAGE = reverse("workspace:outbox_message")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(cast):
    User.objects.update(language="en")
    return cast


def clone(ticket: Ticket, n: int, **fields) -> Ticket:
    """A copy of ``ticket`` with its own number and the given columns (deadlines, team, owner)."""
    copy = Ticket.objects.get(pk=ticket.pk)
    copy.pk = None
    copy.number = f"{ticket.number}-{n}"
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    return copy


def numbers(rows) -> list[str]:
    return [t.number for t in rows]


# Queue ------------------------------------------------------------------------------------------


def test_keyset_pages_follow_the_deadline_then_id_with_undated_tickets_last(cast):
    base = sep_ticket(cast, now=NOW - dt.timedelta(hours=3))
    Ticket.objects.filter(pk=base.pk).update(sla_due_at=None)
    due = [NOW + dt.timedelta(hours=h) if h else None for h in (3, 1, 2, 1, None, 5)]
    made = [clone(base, n, sla_due_at=d) for n, d in enumerate(due)]
    expected = [made[1], made[3], made[2], made[0], made[5], base, made[4]]
    open_tickets = Ticket.objects.filter(closed_at__isnull=True)

    pages: list = []
    cursor: str | None = ""
    for _ in range(5):
        rows, cursor = sla_queue_page(open_tickets, cursor or "", size=2)
        pages.append(numbers(rows))
        if cursor is None:
            break

    assert pages == [numbers(expected[i : i + 2]) for i in range(0, 7, 2)]
    # A broken cursor starts again at the first page.
    assert numbers(sla_queue_page(open_tickets, "nonsense~x", size=2)[0]) == pages[0]


def test_queue_orders_open_tickets_by_nearest_deadline_in_constant_queries(
    client, english, django_assert_max_num_queries
):
    cast = english
    base = sep_ticket(cast, now=NOW - dt.timedelta(hours=3))
    # 30 more open tickets, deadlines in reverse order of creation, and one closed.
    made = [clone(base, n, sla_due_at=NOW + dt.timedelta(minutes=60 - n)) for n in range(30)]
    clone(base, 99, state=TicketState.CLOSED, closed_at=NOW, sla_due_at=NOW)
    expected = sorted([base, *made], key=lambda t: (Ticket.objects.get(pk=t.pk).sla_due_at, t.pk))
    client.force_login(cast.manager)

    # Session, user, agent, teams with their counters, at most two range reads of tickets
    # (dated, undated), the SLA cells and their calendars (three), the priorities of the filter.
    with django_assert_max_num_queries(10):
        first = client.get(HOME)
    with django_assert_max_num_queries(10):
        second = client.get(HOME + first.context["next_url"])

    assert numbers(first.context["tickets"]) == numbers(expected[:25])
    assert numbers(second.context["tickets"]) == numbers(expected[25:])
    assert second.context["next_url"] is None
    html = first.content.decode()
    assert "Time left" in html and 'class="left sla-warning"' in html


def test_team_filter_offers_the_agents_teams_and_managers_all(client, cast):
    ru = sep_ticket(cast, now=NOW - dt.timedelta(hours=1))
    usergate = clone(ru, 1, team=cast.team_usergate)
    english = clone(ru, 2, team=cast.team_en)
    client.force_login(cast.engineer)

    response = client.get(HOME)
    by_team = client.get(HOME, {"team": cast.team_usergate.pk})
    # A team that is not the engineer's is ignored, not obeyed.
    foreign = client.get(HOME, {"team": cast.team_en.pk})

    assert ru.team == cast.team_ru
    assert [t.name for t in response.context["teams"]] == ["Russian support", "UserGate support"]
    assert set(numbers(response.context["tickets"])) == {ru.number, usergate.number}
    assert numbers(by_team.context["tickets"]) == [usergate.number]
    assert foreign.context["team"] is None
    assert english.number not in numbers(foreign.context["tickets"])

    client.force_login(cast.administrator)
    response = client.get(HOME, {"team": cast.team_en.pk})
    assert [t.name for t in response.context["teams"]] == [
        "English dispatch",
        "Russian support",
        "UserGate support",
    ]
    assert numbers(response.context["tickets"]) == [english.number]


def test_mine_and_closed_views(client, cast):
    base = sep_ticket(cast, now=NOW - dt.timedelta(hours=2))
    agent = cast.engineer.agent
    mine = clone(base, 1, owner=agent, state=TicketState.IN_PROGRESS)
    closed = clone(base, 2, owner=agent, state=TicketState.CLOSED, closed_at=NOW)
    client.force_login(cast.engineer)

    assert numbers(client.get(HOME, {"mine": "1"}).context["tickets"]) == [mine.number]
    response = client.get(HOME, {"mine": "1", "view": "closed"})
    assert numbers(response.context["tickets"]) == [closed.number]
    assert closed.number not in numbers(client.get(HOME).context["tickets"])


# Outbox -----------------------------------------------------------------------------------------


def message(state=OutboxMessage.State.PENDING, *, age=dt.timedelta(0), **fields) -> OutboxMessage:
    defaults = {
        "template": "ticket_reply",
        "recipients": ["ivan@alpha.example"],
        "language": "ru",
        "subject": "Reply",
        "body_text": "Hello",
        "state": state,
        "next_attempt_at": NOW if state == OutboxMessage.State.PENDING else None,
    }
    defaults.update(fields)
    row = OutboxMessage.objects.create(**defaults)
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=NOW - age)
    return row


@pytest.mark.parametrize("who", ["engineer", "dispatcher", "customer_alpha", "orgadmin_alpha"])
def test_outbox_is_for_managers_and_administrators_only(client, cast, who):
    row = message(body_text="Secret")
    client.force_login(getattr(cast, who))

    assert client.get(OUTBOX).status_code == 403
    response = client.get(MESSAGE, {"id": row.pk})
    assert response.status_code == 403
    assert "Secret" not in response.content.decode()
    assert OUTBOX not in client.get("/", follow=True).content.decode()


def test_outbox_requires_sign_in(client, cast):
    assert client.get(OUTBOX).status_code == 302
    assert client.get(MESSAGE, {"id": message().pk}).status_code == 302


@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_outbox_shows_backlog_failures_attempts_and_sweep_backlog(client, english, who):
    cast = english
    ticket = sep_ticket(cast, now=NOW - dt.timedelta(hours=1))
    Ticket.objects.filter(pk=ticket.pk).update(sla_next_check_at=NOW - dt.timedelta(minutes=10))
    OutboxMessage.objects.all().delete()  # the registration's own e-mails
    message(age=dt.timedelta(minutes=20), subject="Waiting long")
    retrying = message(
        age=dt.timedelta(minutes=5),
        subject="Retrying",
        attempts=2,
        last_error="SMTPServerDisconnected: gone",
        next_attempt_at=NOW + dt.timedelta(minutes=4),
    )
    DeliveryAttempt.objects.create(
        message=retrying,
        started_at=NOW - dt.timedelta(minutes=3),
        finished_at=NOW - dt.timedelta(minutes=3),
        success=False,
        error="SMTPServerDisconnected: gone",
    )
    message(OutboxMessage.State.FAILED, attempts=8, last_error="SMTPRecipientsRefused")
    message(OutboxMessage.State.SENT, subject="Delivered", sent_at=NOW)
    client.force_login(getattr(cast, who))

    response = client.get(OUTBOX)

    assert response.status_code == 200
    assert response.context["health"] == {
        "pending": 2,
        "oldest_pending_seconds": 1200,
        "retrying": 1,
        "slow": 0,
        "failed": 1,
        "alerts": 1,
    }
    assert response.context["sweep"]["due"] == 1
    html = " ".join(response.content.decode().split())
    assert "oldest waits 20 min" in html
    assert "oldest due 10 min ago" in html
    assert "SLA checks are overdue" in html
    assert "failed: SMTPServerDisconnected: gone" in html
    assert "Last error: SMTPRecipientsRefused" in html
    assert "1 e-mail needs attention" in html
    assert len(response.context["outbox_messages"]) == 4
    assert f'href="{OUTBOX}"' in html  # the nav link

    failed_only = client.get(OUTBOX, {"state": "failed"}).context["outbox_messages"]
    assert [m.state for m in failed_only] == ["failed"]


def test_outbox_lists_the_latest_fifty(client, cast, django_assert_max_num_queries):
    for n in range(55):
        message(subject=f"m{n}")
    client.force_login(cast.manager)

    with django_assert_max_num_queries(10):
        response = client.get(OUTBOX)

    rows = response.context["outbox_messages"]
    assert [m.subject for m in rows[:2]] == ["m54", "m53"] and len(rows) == 50


def test_message_view_shows_the_text_body_escaped(client, english):
    cast = english
    row = message(
        subject="<b>Subject</b>",
        body_text='Hello <script>alert("x")</script>\n<img src=x onerror=alert(1)>',
        body_html="<p>HTML version</p>",
    )
    client.force_login(cast.manager)

    response = client.get(MESSAGE, {"id": row.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;b&gt;Subject&lt;/b&gt;" in html
    assert "HTML version" not in html
    assert row.message_id.replace("<", "&lt;").replace(">", "&gt;") in html
    assert client.get(MESSAGE, {"id": row.pk + 1000}).status_code == 404
    assert client.get(MESSAGE, {"id": "x"}).status_code == 404
