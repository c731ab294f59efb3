"""The opening every action shares and the one table of states: both regulations walked end to end
through the actions, and every illegal transition refused without a change."""

from __future__ import annotations

import pytest

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import (
    CloseReason,
    DiagnosticsRequest,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.tests.helpers import (
    LATER,
    NOW,
    config_file,
    kinds,
    log_file,
    mails,
    ngfw_ticket,
    refused,
    sep_ticket,
)

Kind = TicketEvent.Kind


@pytest.mark.parametrize("regulation", ["000", "002"])
def test_full_path_for_both_regulations(cast, regulation):
    if regulation == "000":
        ticket, customer = sep_ticket(cast), cast.customer_alpha
    else:
        ticket, customer = ngfw_ticket(cast), cast.customer_beta
    engineer = cast.engineer
    assert ticket.regulation.code == regulation

    ticket = actions.take_ticket(ticket=ticket, actor=engineer)
    assert (ticket.state, ticket.owner) == (TicketState.IN_PROGRESS, engineer.agent)

    ticket = actions.request_diagnostics(
        ticket=ticket,
        actor=engineer,
        items=[RequestedItem("logs"), RequestedItem("configuration", "the VPN section")],
        message="Please send the logs of the last hour.",
    )
    assert ticket.state == TicketState.WAITING_FOR_CUSTOMER
    request = DiagnosticsRequest.objects.get(ticket=ticket)
    assert [(i.kind, i.text, i.done) for i in request.items.all()] == [
        ("logs", "", False),
        ("configuration", "the VPN section", False),
    ]

    ticket = actions.add_customer_reply(
        ticket=ticket,
        actor=customer,
        body="Logs and configuration attached.",
        files=[log_file(), config_file()],
        now=LATER,
    )
    assert ticket.state == TicketState.IN_PROGRESS
    request.refresh_from_db()
    assert request.answered_at == LATER
    assert [(i.done, i.done_at) for i in request.items.all()] == [(True, LATER), (True, LATER)]
    assert sorted(ticket.attachments.values_list("original_name", "content_type")) == [
        ("ngfw.conf", "text/plain"),
        ("vpn.log", "text/plain"),
    ]
    assert request.answer_event is not None
    assert request.answer_event.attachments.count() == 2

    ticket = actions.propose_solution(ticket=ticket, actor=engineer, body="Set MTU to 1380.")
    assert ticket.state == TicketState.SOLUTION_PROPOSED

    error = refused(
        ticket,
        lambda: actions.refuse_solution(ticket=ticket, actor=customer, reason="   "),
        "required",
        422,
    )
    assert error.fields == ["reason"]

    ticket = actions.refuse_solution(ticket=ticket, actor=customer, reason="Still drops.")
    assert ticket.state == TicketState.IN_PROGRESS
    ticket = actions.propose_solution(ticket=ticket, actor=engineer, body="Update to 7.3.")
    ticket = actions.confirm_solution(ticket=ticket, actor=customer)
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.CLOSED,
        CloseReason.CONFIRMED,
        NOW,
    )

    assert kinds(ticket) == [
        Kind.REGISTERED,
        Kind.ASSIGNED,
        Kind.STATE_CHANGED,  # registered → in_progress
        Kind.DIAGNOSTICS_REQUESTED,
        Kind.STATE_CHANGED,  # → waiting_for_customer
        Kind.CUSTOMER_REPLY,
        Kind.STATE_CHANGED,  # → in_progress
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,  # → solution_proposed
        Kind.SOLUTION_REFUSED,
        Kind.STATE_CHANGED,  # → in_progress
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,
        Kind.STATE_CHANGED,  # → closed
    ]
    transitions = [
        (e.data["from"], e.data["to"], e.data["action"])
        for e in ticket.events.filter(kind=Kind.STATE_CHANGED).order_by("id")
    ]
    assert transitions == [
        ("registered", "in_progress", "take"),
        ("in_progress", "waiting_for_customer", "request_diagnostics"),
        ("waiting_for_customer", "in_progress", "customer_reply"),
        ("in_progress", "solution_proposed", "propose_solution"),
        ("solution_proposed", "in_progress", "refuse_solution"),
        ("in_progress", "solution_proposed", "propose_solution"),
        ("solution_proposed", "closed", "confirm_solution"),
    ]
    refusal = ticket.events.get(kind=Kind.SOLUTION_REFUSED)
    assert (refusal.body, refusal.actor) == ("Still drops.", customer)

    lang = customer.language
    to_customer = [customer.email]
    to_engineer = ["engineer@support.example"]
    assert mails(ticket) == [
        ("ticket_registered", to_customer, lang),
        ("diagnostics_requested", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
        ("solution_proposed", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
        ("solution_proposed", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
    ]
    for message in OutboxMessage.objects.filter(ticket=ticket):
        assert message.subject.startswith(f"[{ticket.number}] ")
    diagnostics = OutboxMessage.objects.get(ticket=ticket, template="diagnostics_requested")
    if lang == "en":
        assert diagnostics.subject == f"[{ticket.number}] Diagnostic information requested"
        assert "- Configuration files: the VPN section" in diagnostics.body_text


def test_illegal_transitions_change_nothing(cast):
    ticket = sep_ticket(cast)
    refused(
        ticket,
        lambda: actions.confirm_solution(ticket=ticket, actor=cast.customer_alpha),
        "invalid_state",
        409,
    )
    refused(ticket, lambda: actions.take_ticket(ticket=ticket, actor=cast.customer_alpha),
            "forbidden", 403)  # fmt: skip
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer)
    refused(ticket, lambda: actions.take_ticket(ticket=ticket, actor=cast.manager),
            "already_owned", 409)  # fmt: skip
    ticket = actions.propose_solution(ticket=ticket, actor=cast.engineer, body="Reinstall.")
    refused(
        ticket,
        lambda: actions.confirm_solution(ticket=ticket, actor=cast.engineer),
        "forbidden",
        403,
    )
    # A colleague of the same organization (not its administrator) does not see the ticket.
    refused(
        ticket,
        lambda: actions.confirm_solution(ticket=ticket, actor=cast.colleague_alpha),
        "not_found",
        404,
    )
    refused(
        ticket,
        lambda: actions.confirm_solution(ticket=ticket, actor=cast.customer_beta),
        "not_found",
        404,
    )
    refused(
        ticket,
        lambda: actions.add_public_reply(ticket=ticket, actor=cast.customer_alpha, body="x"),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: actions.add_internal_note(ticket=ticket, actor=cast.orgadmin_alpha, body="x"),
        "forbidden",
        403,
    )
    # The organization administrator acts for the contact.
    ticket = actions.confirm_solution(ticket=ticket, actor=cast.orgadmin_alpha)
    assert ticket.state == TicketState.CLOSED
    refused(
        ticket,
        lambda: actions.add_customer_reply(ticket=ticket, actor=cast.customer_alpha, body="x"),
        "invalid_state",
        409,
    )
