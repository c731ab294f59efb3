"""Withdrawal, reopening, closing without the customer, closing by the regulation."""

from __future__ import annotations

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.models import (
    CloseReason,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.tests.helpers import (
    LATER,
    NOW,
    last_mail_id,
    mails,
    refused,
    sep_ticket,
)

Kind = TicketEvent.Kind


def test_withdraw_and_reopen_with_a_reason(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: actions.withdraw_ticket(ticket=ticket, actor=cast.engineer),
        "forbidden",
        403,
    )
    mark = last_mail_id()
    ticket = actions.withdraw_ticket(
        ticket=ticket, actor=cast.customer_alpha, reason="Solved it ourselves."
    )
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.CLOSED,
        CloseReason.WITHDRAWN,
        NOW,
    )
    assert mails(ticket, mark) == [("ticket_customer_activity", ["engineer@support.example"], "ru")]
    refused(
        ticket,
        lambda: actions.withdraw_ticket(ticket=ticket, actor=cast.customer_alpha),
        "invalid_state",
        409,
    )
    refused(
        ticket,
        lambda: actions.reopen_ticket(ticket=ticket, actor=cast.engineer, reason=" "),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.reopen_ticket(ticket=ticket, actor=cast.customer_alpha, reason="x"),
        "forbidden",
        403,
    )
    ticket = actions.reopen_ticket(
        ticket=ticket, actor=cast.engineer, reason="It came back.", now=LATER
    )
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.IN_PROGRESS,
        "",
        None,
    )
    event = ticket.events.filter(kind=Kind.STATE_CHANGED).latest("id")
    assert event.data == {
        "from": "closed",
        "to": "in_progress",
        "action": "reopen",
        "reason": "It came back.",
    }


def test_close_not_entitled_requires_a_reason(cast):
    ticket = sep_ticket(cast)
    refused(
        ticket,
        lambda: actions.close_not_entitled(ticket=ticket, actor=cast.manager, reason=""),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.close_not_entitled(ticket=ticket, actor=cast.customer_alpha, reason="x"),
        "forbidden",
        403,
    )
    ticket = actions.close_not_entitled(
        ticket=ticket, actor=cast.manager, reason="Norton is served by the consumer line."
    )
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.NOT_ENTITLED)
    closed = OutboxMessage.objects.get(ticket=ticket, template="ticket_closed")
    assert closed.recipients == ["ivan@alpha.example"]
    assert "Norton is served by the consumer line." in closed.body_text


def test_silence_sweep_closes_without_an_actor(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    ticket = actions.close_ticket(ticket=ticket, actor=None, close_reason="no_response")
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.NO_RESPONSE)
    assert ticket.events.latest("id").actor is None
