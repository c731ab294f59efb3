"""hooks.py through the ticket services: the deadline columns follow every change."""

from __future__ import annotations

import pytest
import time_machine

from supportdesk.sla.tests.helpers import events, fresh, msk, ngfw_ticket, sep_ticket, utc
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem

FRIDAY_EVENING = msk(2026, 11, 20, 19)
MONDAY_9 = msk(2026, 11, 23, 9)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        yield


def columns(ticket):
    t = fresh(ticket)
    return {
        "reaction_due_at": t.reaction_due_at,
        "reaction_met_at": t.reaction_met_at,
        "resolution_due_at": t.resolution_due_at,
        "resolution_met_at": t.resolution_met_at,
        "sla_due_at": t.sla_due_at,
        "sla_next_check_at": t.sla_next_check_at,
    }


def test_registration_stores_the_essential_p4_deadlines(cast):
    ticket = sep_ticket(cast, now=FRIDAY_EVENING)
    assert ticket.priority.code == "p4"
    assert columns(ticket) == {
        "reaction_due_at": utc(2026, 11, 23, 16),  # Mon 19:00 MSK
        "reaction_met_at": None,
        "resolution_due_at": utc(2026, 12, 10, 16),  # Thu 10 Dec 19:00 MSK
        "resolution_met_at": None,
        "sla_due_at": utc(2026, 11, 23, 16),
        "sla_next_check_at": utc(2026, 11, 23, 13, 36),  # the reaction warning, 80 %
    }


def test_waiting_pauses_and_the_answer_shifts_resolution(cast):
    ticket = sep_ticket(cast, now=MONDAY_9)  # p4: resolution Mon 23 Nov 09:00 + 10080
    assert fresh(ticket).resolution_due_at == msk(2026, 12, 11, 9)  # 660 + 13 days + 60
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 30))
    ticket = actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs")],
        now=msk(2026, 11, 23, 10),
    )
    assert columns(ticket) == {
        "reaction_due_at": None,
        "reaction_met_at": msk(2026, 11, 23, 10),  # the diagnostics request is a response
        "resolution_due_at": None,  # paused
        "resolution_met_at": None,
        "sla_due_at": None,
        "sla_next_check_at": msk(2026, 11, 28, 10),  # five calendar days of silence
    }
    ticket = actions.add_customer_reply(
        ticket=ticket, actor=cast.customer_alpha, body="Logs attached.", now=msk(2026, 11, 24, 12)
    )
    # Paused Mon 10-20 (600) + Tue 08-12 (240): 840 business minutes later than without pause.
    t = fresh(ticket)
    assert t.state == "in_progress"
    assert t.resolution_due_at == msk(2026, 12, 14, 11)  # Fri 09-20 (660) + Mon 08-11 (180)
    assert t.sla_due_at == t.resolution_due_at


def test_refusal_resumes_resolution(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")  # 480 / 5760
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    ticket = actions.propose_solution(
        ticket=ticket, actor=cast.engineer, body="Restart the service.", now=msk(2026, 11, 23, 11)
    )
    t = fresh(ticket)
    assert (t.resolution_due_at, t.resolution_met_at) == (None, msk(2026, 11, 23, 11))
    ticket = actions.refuse_solution(
        ticket=ticket, actor=cast.customer_alpha, reason="Still broken.", now=msk(2026, 11, 24, 10)
    )
    t = fresh(ticket)
    # 120 consumed before the proposal; the remaining 5640 from Tue 10:00: 600 on Tuesday and
    # seven full days (5040) up to the closing time of Thu 3 Dec.
    assert (t.state, t.resolution_due_at, t.resolution_met_at) == (
        "in_progress",
        msk(2026, 12, 3, 20),
        None,
    )


def test_priority_override_recomputes_from_registration_and_records_old_and_new(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p3")  # 480 / 5760
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    ticket = actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")], now=msk(2026, 11, 23, 10)
    )
    ticket = actions.add_customer_reply(
        ticket=ticket, actor=cast.customer_alpha, body="Here.", now=msk(2026, 11, 23, 14)
    )
    ticket = actions.override_priority(
        ticket=ticket,
        actor=cast.manager,
        priority_code="p2",
        reason="Production is down.",
        now=msk(2026, 11, 23, 15),
    )
    # p2 resolution 2880 from registration minus the 10-14 pause: 420 on Monday, then 3 days
    # (2160) and 300 on Friday: Fri 27 Nov 13:00 MSK. Under p3 (5760) it was Thu 3 Dec 13:00.
    t = fresh(ticket)
    assert t.resolution_due_at == msk(2026, 11, 27, 13)
    [changed] = events(ticket, "deadlines_changed")
    assert changed.created_at == msk(2026, 11, 23, 15)
    assert changed.data == {
        "from": "p3",
        "to": "p2",
        "reaction": {"old": None, "new": None, "old_minutes": 480, "new_minutes": 240},
        "resolution": {
            "old": "2026-12-03T10:00:00+00:00",
            "new": "2026-11-27T10:00:00+00:00",
            "old_minutes": 5760,
            "new_minutes": 2880,
        },
    }
    # Any later change does not record it again.
    actions.add_internal_note(
        ticket=ticket, actor=cast.engineer, body="Checking.", now=msk(2026, 11, 23, 16)
    )
    assert len(events(ticket, "deadlines_changed")) == 1


def test_priority_agreed_before_the_first_response_moves_the_reaction_deadline(cast):
    ticket = ngfw_ticket(cast, now=MONDAY_9, priority="p3")  # premium p3: 240 / 2700, 09-18
    assert fresh(ticket).reaction_due_at == msk(2026, 11, 23, 13)
    ticket = actions.propose_priority_change(
        ticket=ticket,
        actor=cast.customer_beta,
        priority_code="p2",
        reason="All branches are affected.",
        now=msk(2026, 11, 23, 9, 10),
    )
    proposal = ticket.priority_proposals.get()
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 15))
    ticket = actions.accept_priority_change(
        ticket=ticket, actor=cast.engineer, proposal_id=proposal.pk, now=msk(2026, 11, 23, 9, 20)
    )
    t = fresh(ticket)
    assert t.reaction_due_at == msk(2026, 11, 23, 10)  # p2: 60 from registration
    assert t.sla_next_check_at == msk(2026, 11, 23, 9, 48)  # its 80 % warning
    [changed] = events(ticket, "deadlines_changed")
    assert changed.data["reaction"] == {
        "old": "2026-11-23T10:00:00+00:00",
        "new": "2026-11-23T07:00:00+00:00",
        "old_minutes": 240,
        "new_minutes": 60,
    }


def test_closing_clears_the_deadlines(cast):
    ticket = sep_ticket(cast, now=MONDAY_9)
    ticket = actions.withdraw_ticket(
        ticket=ticket, actor=cast.customer_alpha, reason="Solved it.", now=msk(2026, 11, 23, 9, 30)
    )
    t = fresh(ticket)
    assert (t.reaction_due_at, t.resolution_due_at, t.sla_due_at, t.sla_next_check_at) == (
        None,
        None,
        None,
        None,
    )
