"""Replies, internal notes and diagnostics requests."""

from __future__ import annotations

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import (
    DiagnosticsRequest,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.tests.helpers import (
    MARKER,
    log_file,
    ngfw_ticket,
    refused,
)

Kind = TicketEvent.Kind


def test_customer_reply_ticks_only_the_provided_items(cast):
    ticket = actions.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    ticket = actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs"), RequestedItem("network_diagram")],
    )
    logs, diagram = DiagnosticsRequest.objects.get().items.all()
    actions.add_customer_reply(
        ticket=ticket, actor=cast.customer_beta, body="Logs.", files=[log_file()],
        provided_items=[logs.pk],
    )  # fmt: skip
    logs.refresh_from_db()
    diagram.refresh_from_db()
    assert (logs.done, diagram.done) == (True, False)


def test_diagnostics_request_validates_items(cast):
    ticket = actions.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: actions.request_diagnostics(ticket=ticket, actor=cast.engineer, items=[]),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: actions.request_diagnostics(
            ticket=ticket, actor=cast.engineer, items=[RequestedItem("other", " ")]
        ),
        "required",
        422,
    )
    ticket = actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("other", "tcpdump on port1")]
    )
    assert ticket.state == TicketState.WAITING_FOR_CUSTOMER


def test_internal_notes_never_reach_any_email(cast):
    ticket = actions.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    actions.add_internal_note(
        ticket=ticket, actor=cast.engineer, body=f"{MARKER} the customer's firewall is old"
    )
    note = ticket.events.get(kind=Kind.INTERNAL_NOTE)
    assert note.is_internal
    actions.add_public_reply(ticket=ticket, actor=cast.engineer, body="Please update.")
    actions.request_diagnostics(ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")])
    actions.add_customer_reply(ticket=ticket, actor=cast.customer_beta, body="Done.")
    actions.add_internal_note(ticket=ticket, actor=cast.manager, body=f"{MARKER} second note")
    actions.request_escalation(ticket=ticket, actor=cast.customer_beta, reason="significant_delay")
    actions.propose_solution(ticket=ticket, actor=cast.engineer, body="Update fixed it.")
    actions.refuse_solution(ticket=ticket, actor=cast.customer_beta, reason="No.")
    actions.override_priority(ticket=ticket, actor=cast.manager, priority_code="p1", reason="VIP")
    actions.propose_solution(ticket=ticket, actor=cast.engineer, body="Try again.")
    actions.confirm_solution(ticket=ticket, actor=cast.customer_beta)
    actions.reopen_ticket(ticket=ticket, actor=cast.engineer, reason="Follow-up.")
    assert OutboxMessage.objects.count() >= 10
    for message in OutboxMessage.objects.all():
        assert MARKER not in message.subject + message.body_text + message.body_html
        assert message.subject.startswith("[SD-2026-000001] ")
    customer_mail = OutboxMessage.objects.filter(recipients=["olga@beta.example"])
    assert set(customer_mail.values_list("language", flat=True)) == {"en"}
