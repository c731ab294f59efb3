"""sla_tags: remaining business time and deadlines in the viewer's time zone."""

from __future__ import annotations

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from supportdesk.sla.templatetags.sla_tags import business_duration
from supportdesk.sla.tests.helpers import fresh, msk, sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem

MONDAY_9 = msk(2026, 11, 23, 9)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(MONDAY_9, tick=False), translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(200, "3 h 20 min"), (45, "45 min"), (120, "2 h"), (0, "0 min"), (-65.5, "1 h 5 min")],
)
def test_business_duration(minutes, text):
    assert business_duration(minutes) == text


def render(ticket, user, now, tz="Europe/Moscow"):
    request = RequestFactory().get("/")
    request.user = user
    with timezone.override(tz):
        return Template("{% load sla_tags %}{% sla_timers ticket now %}").render(
            Context({"ticket": ticket, "now": now, "request": request})
        )


def squash(html: str) -> str:
    return " ".join(html.split())


def test_agent_sees_warning_remaining_time_and_deadline_in_their_zone(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")  # reaction 480, resolution 5760
    html = squash(render(fresh(ticket), cast.engineer, msk(2026, 11, 23, 15, 40)))
    # Reaction: 400 of 480 consumed (83 %): warning, 1 h 20 min left, due 17:00 Moscow.
    assert '<span class="badge sla-warning">nearly due</span> 1 h 20 min left' in html
    assert "23 November 2026, 17:00" in html
    assert "Resolution" in html and "96 h of business time" in html
    # A customer is not shown the internal warning state; an English viewer in London sees 14:00.
    html = squash(
        render(fresh(ticket), cast.customer_alpha, msk(2026, 11, 23, 15, 40), "Europe/London")
    )
    assert '<span class="badge sla-ok">on time</span> 1 h 20 min left' in html
    assert "23 November 2026, 14:00" in html


def test_overdue_paused_and_met(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p1")  # reaction 60
    html = squash(render(fresh(ticket), cast.engineer, msk(2026, 11, 23, 11, 5)))
    assert '<span class="badge sla-breached">breached</span> 1 h 5 min overdue' in html
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 11, 10))
    ticket = actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")], now=msk(2026, 11, 23, 12)
    )
    html = squash(render(fresh(ticket), cast.engineer, msk(2026, 11, 23, 15)))
    # Reaction met late stays "breached"; resolution (1440) paused after 180 minutes.
    assert html.count("sla-breached") == 2
    assert '<span class="badge sla-paused">paused</span> 21 h left, paused' in html


def test_row_uses_the_columns_only(cast, django_assert_num_queries):
    ticket = fresh(sep_ticket(cast, now=MONDAY_9, priority="p1"))
    template = Template("{% load sla_tags %}{% sla_row ticket now %}")
    with django_assert_num_queries(0), timezone.override("Europe/Moscow"):
        html = template.render(Context({"ticket": ticket, "now": msk(2026, 11, 23, 9, 30)}))
    assert 'class="sla-ok"' in html and "23 Nov, 10:00" in html
