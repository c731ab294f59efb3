"""Escalation and priority: by agreement, or a manager's override, with deadlines following."""

from __future__ import annotations

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.models import (
    Escalation,
    PriorityProposal,
    Ticket,
    TicketEvent,
)
from supportdesk.tickets.tests.helpers import (
    last_mail_id,
    mails,
    ngfw_ticket,
    refused,
    sep_ticket,
)

Kind = TicketEvent.Kind


def test_escalation_raises_level_and_notifies_contacts_of_that_level(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: actions.request_escalation(
            ticket=ticket, actor=cast.customer_alpha, reason="other", text=""
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.request_escalation(
            ticket=ticket, actor=cast.engineer, reason="significant_delay"
        ),
        "forbidden",
        403,
    )
    mark = last_mail_id()
    ticket = actions.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="significant_delay", text="No answer."
    )
    assert ticket.escalation_level == 1
    assert mails(ticket, mark) == [
        ("escalation_requested", ["escalation@support.example"], "ru"),
        ("escalation_requested", ["engineer@support.example"], "ru"),
    ]
    # While it waits for support's answer, the customer cannot escalate again.
    refused(
        ticket,
        lambda: actions.request_escalation(
            ticket=ticket, actor=cast.customer_alpha, reason="incorrect_answers"
        ),
        "escalation_pending",
        409,
    )
    ticket = actions.add_public_reply(ticket=ticket, actor=cast.engineer, body="Looking into it.")
    mark = last_mail_id()
    ticket = actions.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="incorrect_answers", text="Wrong advice."
    )
    assert ticket.escalation_level == 2
    assert mails(ticket, mark) == [
        ("escalation_requested", ["escalation@support.example"], "ru"),
        ("escalation_requested", ["head-of-support@support.example"], "en"),
        ("escalation_requested", ["engineer@support.example"], "ru"),
    ]
    head = OutboxMessage.objects.get(recipients=["head-of-support@support.example"])
    assert head.subject == (
        f"[{ticket.number}] Escalation to level 2: Clients do not receive definitions"
    )
    assert "Incorrect answers" in head.body_text
    assert [(e.reason, e.level) for e in Escalation.objects.order_by("id")] == [
        ("significant_delay", 1),
        ("incorrect_answers", 2),
    ]
    event = ticket.events.filter(kind=Kind.ESCALATION_REQUESTED).latest("id")
    assert (event.data["from"], event.data["to"], event.data["reason"]) == (
        1,
        2,
        "incorrect_answers",
    )


def test_escalation_may_carry_a_priority_proposal(cast):
    ticket = ngfw_ticket(cast)
    ticket = actions.request_escalation(
        ticket=ticket,
        actor=cast.customer_beta,
        reason="significant_delay",
        priority_code="p1",
        priority_reason="All branches are offline.",
    )
    proposal = PriorityProposal.objects.get()
    assert (proposal.state, proposal.side, proposal.to_priority.code) == (
        "pending",
        "customer",
        "p1",
    )
    assert Escalation.objects.get().priority_proposal == proposal
    assert ticket.priority.code == "p2"  # only an acceptance changes it
    # 002 has one escalation contact, level 1; the ticket has no owner yet.
    assert mails(ticket)[1:] == [
        ("escalation_requested", ["senior@usergate-support.example"], "ru")
    ]


def test_priority_changes_only_by_agreement(cast):
    ticket = actions.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: actions.propose_priority_change(
            ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason=""
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.propose_priority_change(
            ticket=ticket, actor=cast.customer_beta, priority_code="p9", reason="x"
        ),
        "invalid",
        422,
    )
    mark = last_mail_id()
    ticket = actions.propose_priority_change(
        ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason="Production is down."
    )
    proposal = PriorityProposal.objects.get()
    assert mails(ticket, mark) == [("priority_proposed", ["engineer@support.example"], "ru")]
    assert ticket.priority.code == "p2"
    refused(
        ticket,
        lambda: actions.accept_priority_change(
            ticket=ticket, actor=cast.customer_beta, proposal_id=proposal.pk
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: actions.propose_priority_change(
            ticket=ticket, actor=cast.engineer, priority_code="p3", reason="x"
        ),
        "proposal_pending",
        409,
    )
    mark = last_mail_id()
    ticket = actions.accept_priority_change(
        ticket=ticket, actor=cast.engineer, proposal_id=proposal.pk
    )
    assert ticket.priority.code == "p1"
    event = ticket.events.get(kind=Kind.PRIORITY_CHANGED)
    assert (event.data["from"], event.data["to"], event.actor) == ("p2", "p1", cast.engineer)
    assert mails(ticket, mark) == [("priority_changed", ["olga@beta.example"], "en")]
    changed = OutboxMessage.objects.get(pk__gt=mark)
    assert changed.subject == f"[{ticket.number}] Priority changed: High → Critical"
    refused(
        ticket,
        lambda: actions.decline_priority_change(
            ticket=ticket, actor=cast.engineer, proposal_id=proposal.pk
        ),
        "invalid_state",
        409,
    )

    # The engineer proposes; the customer declines; the priority stays.
    ticket = actions.propose_priority_change(
        ticket=ticket, actor=cast.engineer, priority_code="p3", reason="A workaround exists."
    )
    second = PriorityProposal.objects.get(state="pending")
    assert second.side == "support"
    ticket = actions.decline_priority_change(
        ticket=ticket, actor=cast.customer_beta, proposal_id=second.pk, reason="Not acceptable."
    )
    assert ticket.priority.code == "p1"
    second.refresh_from_db()
    assert (second.state, second.decided_by) == ("declined", cast.customer_beta)
    assert ticket.events.filter(kind=Kind.PRIORITY_DECLINED).count() == 1


def test_manager_override_is_recorded_as_override(cast):
    ticket = actions.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    actions.propose_priority_change(
        ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason="Urgent."
    )
    refused(
        ticket,
        lambda: actions.override_priority(
            ticket=ticket, actor=cast.engineer, priority_code="p3", reason="x"
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: actions.override_priority(
            ticket=ticket, actor=cast.manager, priority_code="p3", reason=""
        ),
        "required",
        422,
    )
    ticket = actions.override_priority(
        ticket=ticket, actor=cast.manager, priority_code="p3", reason="Agreed by phone."
    )
    assert ticket.priority.code == "p3"
    event = ticket.events.get(kind=Kind.PRIORITY_OVERRIDDEN)
    assert event.data == {"from": "p2", "to": "p3", "override": True}
    assert (event.actor, event.body) == (cast.manager, "Agreed by phone.")
    assert PriorityProposal.objects.get().state == "superseded"


def test_priority_override_recomputes_the_deadlines_on_the_timeline(cast):
    ticket = ngfw_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    before = Ticket.objects.get(pk=ticket.pk).resolution_due_at
    assert before is not None
    actions.override_priority(ticket=ticket, actor=cast.manager, priority_code="p1", reason="x")

    ticket.refresh_from_db()
    assert ticket.priority.code == "p1"
    assert ticket.resolution_due_at is not None and ticket.resolution_due_at < before
    change = ticket.events.filter(kind=TicketEvent.Kind.DEADLINES_CHANGED).latest("id")
    assert change.data["resolution"]["new"] == ticket.resolution_due_at.isoformat()
