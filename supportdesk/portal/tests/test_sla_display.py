"""Visible time: the SLA targets, remaining business time and deadlines on the ticket pages and
lists, in the viewer's time zone; SLA events on the timeline in words."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from supportdesk.accounts.models import User
from supportdesk.sla.sweep import sweep_sla
from supportdesk.sla.tests.helpers import fresh, msk, sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import TicketEvent

MONDAY_9 = msk(2026, 11, 23, 9)


def squash(html: str) -> str:
    return " ".join(html.split())


@pytest.fixture
def almaty(cast):
    """Alpha's customer reads English in Almaty (UTC+5, two hours ahead of Moscow)."""
    User.objects.filter(pk=cast.customer_alpha.pk).update(language="en", timezone="Asia/Almaty")
    User.objects.filter(pk=cast.engineer.pk).update(language="en")
    return cast.customer_alpha


def page(client, user, name, number):
    client.force_login(user)
    response = client.get(reverse(name, args=[number]))
    assert response.status_code == 200
    return squash(response.content.decode())


def test_customer_sees_targets_time_left_and_deadlines_in_their_zone(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")  # 480 / 5760 on MSK 08-20

    with time_machine.travel(msk(2026, 11, 23, 10), tick=False):
        html = page(client, almaty, "ticket_detail", ticket.number)

    # Reaction: due Monday 17:00 Moscow, 19:00 in Almaty; 7 of its 8 business hours left.
    assert 'Reaction <span class="muted">(8 h of business time)</span>' in html
    assert '<span class="badge sla-ok">on time</span> 7 h left' in html
    assert "23 November 2026, 19:00 +05" in html
    # Resolution: 96 business hours = 8 working days, due Thursday 3 Dec 09:00 Moscow.
    assert 'Resolution <span class="muted">(96 h of business time)</span>' in html
    assert "95 h left" in html
    assert "3 December 2026, 11:00 +05" in html


def test_paused_while_waiting_for_the_customer(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 30))
    actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")], now=msk(2026, 11, 23, 10)
    )

    with time_machine.travel(msk(2026, 11, 24, 12), tick=False):
        html = page(client, almaty, "ticket_detail", ticket.number)
        client.force_login(almaty)
        listing = squash(client.get(reverse("ticket_list")).content.decode())

    # Resolution paused after 60 of 5760 minutes; reaction met by the request at 10:00.
    assert '<span class="badge sla-paused">paused</span> 95 h left, paused while' in html
    assert '<span class="badge sla-met">met</span>' in html
    assert "23 November 2026, 12:00" in html  # the reaction met at 10:00 Moscow
    # The list row has no running deadline: it says "paused".
    assert '<span class="sla-paused muted">paused</span>' in listing


def test_list_rows_show_the_nearest_deadline_in_the_viewers_zone(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")
    client.force_login(almaty)

    with time_machine.travel(msk(2026, 11, 23, 18), tick=False):
        html = squash(client.get(reverse("ticket_list")).content.decode())

    assert fresh(ticket).sla_due_at == msk(2026, 11, 23, 17)
    # Passed an hour ago: shown as breached, at 19:00 Almaty time.
    assert 'class="sla-breached"' in html and "23 Nov, 19:00" in html


def test_agent_ticket_page_shows_the_warning_state(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")
    with time_machine.travel(msk(2026, 11, 23, 16), tick=False):
        html = page(client, cast.engineer, "workspace:ticket", ticket.number)
        customer = page(client, almaty, "ticket_detail", ticket.number)

    # 420 of 480 minutes used: "nearly due" for the agent (in Moscow), "on time" for the customer.
    assert '<span class="badge sla-warning">nearly due</span> 1 h left' in html
    assert "23 November 2026, 17:00 MSK" in html
    assert "sla-warning" not in customer
    assert '<span class="badge sla-ok">on time</span> 1 h left' in customer


def test_timeline_shows_deadline_changes_in_words_and_warnings_to_agents_only(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    actions.override_priority(
        ticket=ticket,
        actor=cast.manager,
        priority_code="p2",
        reason="Production is down.",
        now=msk(2026, 11, 23, 10),
    )
    # p2 reaction is 240 minutes from 09:00: the warning (80 %) is due at 12:12.
    sweep_sla(now=msk(2026, 11, 23, 12, 30))

    with time_machine.travel(msk(2026, 11, 23, 12, 30), tick=False):
        customer = page(client, almaty, "ticket_detail", ticket.number)
        agent = page(client, cast.engineer, "workspace:ticket", ticket.number)

    # The customer reads the change in Almaty time; the agent in Moscow time.
    assert "Deadlines recalculated" in customer
    assert (
        "Reaction: 23 November 2026, 19:00 +05 → 23 November 2026, 15:00 +05 "
        "(target 8 h → 4 h of business time)" in customer
    )
    assert (
        "Resolution: 3 December 2026, 11:00 +05 → 27 November 2026, 11:00 +05 "
        "(target 96 h → 48 h of business time)" in customer
    )
    assert "Reaction: 23 November 2026, 17:00 MSK → 23 November 2026, 13:00 MSK" in agent
    # The warning is internal: agents read it in words, customers never see it.
    assert "SLA warning" in agent
    # Swept at 12:30: 210 of 240 minutes used.
    assert "87% of the reaction target (4 h) used; due 23 November 2026, 13:00 MSK." in agent
    assert "sla_warning" not in customer and "SLA warning" not in customer
    assert "reaction target" not in customer


def test_confirmation_reminder_in_words_for_each_side(client, cast, almaty):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")
    TicketEvent.objects.create(
        ticket=ticket,
        created_at=msk(2026, 11, 25, 9),
        kind=TicketEvent.Kind.CONFIRMATION_REMINDER,
        data={"proposed_at": "x", "due_at": "2026-11-25T06:00:00+00:00"},
    )

    with time_machine.travel(msk(2026, 11, 25, 10), tick=False):
        customer = page(client, almaty, "ticket_detail", ticket.number)
        agent = page(client, cast.engineer, "workspace:ticket", ticket.number)

    assert "Confirmation reminder sent" in customer
    assert "We reminded you by e-mail to confirm or refuse the proposed solution." in customer
    assert "The customer was reminded by e-mail to confirm the proposed solution." in agent
    assert "confirmation_reminder</strong>" not in customer
