"""How a request ends: the engineer proposes a solution, the customer confirms it or refuses it
with reasons, the customer withdraws, an agent closes (not entitled) or reopens, and the
regulation closes on its own (customer silence, confirmation timeout)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.tickets.actions.base import (
    State,
    TicketActionError,
    acting_as_system,
    acting_on,
    event,
    notify_customer,
    notify_owner,
    reply_event,
    require_text,
    resolve_now,
    save,
    set_state,
)
from supportdesk.tickets.models import CloseReason, Ticket, TicketEvent

# Close reasons an agent may choose; the others have their own actions (confirmed, withdrawn,
# duplicate) or belong to the regulation.
# What a person may close a request with; no_response is the regulation's own verdict on the
# customer's silence (the SLA sweep, ``close_by_regulation``), never chosen by a user.
AGENT_CLOSE_REASONS = (CloseReason.NOT_ENTITLED,)
SYSTEM_CLOSE_REASONS = (CloseReason.NO_RESPONSE,)


def propose_solution(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """Propose the solution; in_progress → solution_proposed. The customer confirms or refuses."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "propose_solution") as ticket:
        require_text(body, "body", _("Describe the proposed solution."))
        added, saved = reply_event(
            ticket, actor, TicketEvent.Kind.SOLUTION_PROPOSED, now, body=body, files=files
        )
        fields = set_state(ticket, actor, now, State.SOLUTION_PROPOSED, action="propose_solution")
        notify_customer(
            ticket,
            "solution_proposed",
            {
                "body": added.body,
                "attachments": saved,
                "days": ticket.regulation.confirmation_working_days,
            },
        )
        return save(ticket, fields, now)


def confirm_solution(
    *, ticket: Ticket, actor: User, comment: str = "", now: dt.datetime | None = None
) -> Ticket:
    """The customer confirms the proposed solution; the ticket closes with reason confirmed."""
    return _close_by_customer(
        ticket=ticket,
        actor=actor,
        action="confirm_solution",
        close_reason=CloseReason.CONFIRMED,
        activity="confirmed",
        text=comment,
        now=now,
    )


def withdraw_ticket(
    *, ticket: Ticket, actor: User, reason: str = "", now: dt.datetime | None = None
) -> Ticket:
    """The customer withdraws the request; it closes with reason withdrawn."""
    return _close_by_customer(
        ticket=ticket,
        actor=actor,
        action="withdraw",
        close_reason=CloseReason.WITHDRAWN,
        activity="withdrawn",
        text=reason,
        now=now,
    )


def _close_by_customer(
    *,
    ticket: Ticket,
    actor: User,
    action: str,
    close_reason: str,
    activity: str,
    text: str,
    now: dt.datetime | None,
) -> Ticket:
    """The customer closes the request (confirmation or withdrawal); the owner is told."""
    now = resolve_now(now)
    text = text.strip()
    with acting_on(ticket, actor, action) as ticket:
        fields = set_state(
            ticket, actor, now, State.CLOSED, action=action, reason=text, close_reason=close_reason
        )
        notify_owner(
            ticket, "ticket_customer_activity", actor, {"activity": activity, "body": text}
        )
        return save(ticket, fields, now)


def refuse_solution(
    *, ticket: Ticket, actor: User, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """The customer's reasoned refusal; solution_proposed → in_progress. The reason is required."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "refuse_solution") as ticket:
        reason = require_text(
            reason, "reason", _("Say why the proposed solution does not solve the problem.")
        )
        event(ticket, actor, TicketEvent.Kind.SOLUTION_REFUSED, now, body=reason)
        fields = set_state(
            ticket, actor, now, State.IN_PROGRESS, action="refuse_solution", reason=reason
        )
        notify_owner(
            ticket, "ticket_customer_activity", actor, {"activity": "refused", "body": reason}
        )
        return save(ticket, fields, now)


def reopen_ticket(
    *, ticket: Ticket, actor: User, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """An agent reopens a closed ticket with a reason; closed → in_progress."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "reopen") as ticket:
        if ticket.merged_into is not None:
            raise TicketActionError(
                "merged",
                _("Request %(number)s was merged into %(target)s; continue there.")
                % {"number": ticket.number, "target": ticket.merged_into.number},
            )
        reason = require_text(reason, "reason", _("Say why the request is reopened."))
        fields = set_state(ticket, actor, now, State.IN_PROGRESS, action="reopen", reason=reason)
        notify_customer(ticket, "ticket_reopened", {"reason": reason})
        return save(ticket, fields, now)


def close_ticket(
    *,
    ticket: Ticket,
    actor: User | None,
    close_reason: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Close without the customer: not_entitled (by the working agent, reason required) or
    no_response (the silence sweep only, ``actor=None``: reserved for the system). Confirmed,
    withdrawn and duplicate closures have their own actions; see also ``close_by_regulation``."""
    now = resolve_now(now)
    if actor is None and close_reason != CloseReason.NO_RESPONSE:
        raise TicketActionError("forbidden", _("Only agents close requests."), status=403)
    opening = (
        acting_as_system(ticket, "close") if actor is None else acting_on(ticket, actor, "close")
    )
    allowed = SYSTEM_CLOSE_REASONS if actor is None else AGENT_CLOSE_REASONS
    with opening as ticket:
        if close_reason not in allowed:
            raise TicketActionError(
                "invalid",
                _("Choose a reason to close the request."),
                status=422,
                fields=["close_reason"],
            )
        reason = reason.strip()
        if close_reason == CloseReason.NOT_ENTITLED:
            reason = require_text(
                reason, "reason", _("Say why the customer is not entitled to support.")
            )
        return _close(ticket, actor, now, close_reason=close_reason, reason=reason, action="close")


def close_not_entitled(
    *, ticket: Ticket, actor: User, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """An agent closes a request the customer is not entitled to; the reason is required."""
    return close_ticket(
        ticket=ticket, actor=actor, close_reason=CloseReason.NOT_ENTITLED, reason=reason, now=now
    )


def close_by_regulation(
    *, ticket: Ticket, close_reason: str, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """The regulation closes the request on its own (the SLA sweep, no actor): no_response after
    the customer's silence, or confirmed when a proposed solution was neither confirmed nor
    refused in time (confirmation action "close"). The reason goes onto the timeline and into
    the customer's e-mail."""
    if close_reason == CloseReason.NO_RESPONSE:
        return close_ticket(
            ticket=ticket, actor=None, close_reason=close_reason, reason=reason, now=now
        )
    if close_reason != CloseReason.CONFIRMED:
        raise ValueError(f"The regulation does not close requests as {close_reason!r}")
    now = resolve_now(now)
    with acting_as_system(ticket, "confirm_solution") as ticket:
        return _close(
            ticket,
            None,
            now,
            close_reason=CloseReason.CONFIRMED,
            reason=reason,
            action="confirmation_timeout",
        )


def _close(
    ticket: Ticket,
    actor: User | None,
    now: dt.datetime,
    *,
    close_reason: str,
    reason: str,
    action: str,
) -> Ticket:
    """Close ``ticket`` (locked) without the customer and tell them why."""
    fields = set_state(
        ticket, actor, now, State.CLOSED, action=action, reason=reason, close_reason=close_reason
    )
    notify_customer(
        ticket,
        "ticket_closed",
        {"close_reason_label": CloseReason(close_reason).label, "reason": reason},
    )
    return save(ticket, fields, now)
