"""Taking, assigning and handing over a ticket."""

from __future__ import annotations

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.models import (
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.tests.helpers import (
    last_mail_id,
    mails,
    refused,
    sep_ticket,
)

Kind = TicketEvent.Kind


def test_engineer_who_does_not_own_the_ticket_cannot_work_it(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.manager)
    refused(
        ticket,
        lambda: actions.add_public_reply(ticket=ticket, actor=cast.engineer, body="Hi"),
        "forbidden",
        403,
    )
    # Internal notes are open to every agent who sees the ticket.
    actions.add_internal_note(ticket=ticket, actor=cast.engineer, body="Seen this before.")


def test_assign_and_reassign_record_who_and_why(cast):
    ticket = sep_ticket(cast)
    mark = last_mail_id()
    ticket = actions.assign_ticket(ticket=ticket, actor=cast.dispatcher, assignee=cast.engineer)
    assert (ticket.owner, ticket.state) == (cast.engineer.agent, TicketState.IN_PROGRESS)
    assert mails(ticket, mark) == [("ticket_assigned", ["engineer@support.example"], "ru")]

    # Owned: the dispatcher may no longer move it; the owner hands over only with a reason.
    refused(
        ticket,
        lambda: actions.assign_ticket(
            ticket=ticket, actor=cast.dispatcher, assignee=cast.engineer_en, reason="x"
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: actions.assign_ticket(
            ticket=ticket, actor=cast.engineer, assignee=cast.engineer_en
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.assign_ticket(
            ticket=ticket, actor=cast.engineer, assignee=cast.customer_alpha, reason="x"
        ),
        "invalid_assignee",
        422,
    )
    mark = last_mail_id()
    ticket = actions.assign_ticket(
        ticket=ticket, actor=cast.engineer, assignee=cast.engineer_en, reason="Needs English."
    )
    event = ticket.events.filter(kind=Kind.ASSIGNED).latest("id")
    assert (event.actor, event.body) == (cast.engineer, "Needs English.")
    assert event.data["how"] == "reassigned"
    assert (event.data["from"], event.data["to"]) == (
        cast.engineer.agent.pk,
        cast.engineer_en.agent.pk,
    )
    assert mails(ticket, mark) == [("ticket_assigned", ["john@support.example"], "en")]
    assert OutboxMessage.objects.get(pk__gt=mark).subject == (
        f"[{ticket.number}] Request assigned to you: Clients do not receive definitions"
    )
    ticket = actions.assign_ticket(
        ticket=ticket, actor=cast.manager, assignee=cast.engineer, reason="Back to Russian."
    )
    assert ticket.owner == cast.engineer.agent
