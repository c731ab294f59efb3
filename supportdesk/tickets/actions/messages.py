"""What the two sides write to each other: the agent's public reply and internal note, the
customer's reply, and the engineer's request for named diagnostics that the reply answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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
    require_role,
    resolve_now,
    save,
    set_state,
)
from supportdesk.tickets.models import (
    DiagnosticsRequest,
    DiagnosticsRequestItem,
    Ticket,
    TicketEvent,
)


@dataclass(frozen=True)
class RequestedItem:
    """One named item of a diagnostics request: logs, configuration, traces, network_diagram or
    other (with text)."""

    kind: str
    text: str = ""


def add_public_reply(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """The working agent's reply the customer sees; e-mailed to the contact."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "public_reply") as ticket:
        added, saved = reply_event(
            ticket, actor, TicketEvent.Kind.PUBLIC_REPLY, now, body=body, files=files
        )
        notify_customer(ticket, "ticket_reply", {"body": added.body, "attachments": saved})
        return save(ticket, [], now)


def add_internal_note(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """A note for agents only: never shown to customers, never e-mailed, never notified."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "internal_note") as ticket:
        reply_event(
            ticket,
            actor,
            TicketEvent.Kind.INTERNAL_NOTE,
            now,
            body=body,
            files=files,
            internal=True,
        )
        return save(ticket, [], now)


def add_customer_reply(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    provided_items: Sequence[int] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """The customer's reply. On waiting_for_customer it answers the open diagnostics request
    (ticking ``provided_items``, or every item when None) and returns the ticket to in_progress."""
    now = resolve_now(now)
    with acting_on(ticket, actor, None) as ticket:
        # The role before the state: a closed request tells its customer what to do instead.
        require_role(ticket, actor, "customer_reply")
        if ticket.state == State.CLOSED:
            raise TicketActionError(
                "invalid_state",
                _("Request %(number)s is closed. Please open a new request.")
                % {"number": ticket.number},
            )
        request = (
            ticket.diagnostics_requests.filter(answered_at__isnull=True).order_by("-id").first()
        )
        data: dict = {}
        items: list[DiagnosticsRequestItem] = []
        if request is not None:
            items = list(request.items.filter(done=False))
            if provided_items is not None:
                if set(provided_items) - {item.pk for item in request.items.all()}:
                    raise TicketActionError(
                        "invalid",
                        _("Unknown requested item."),
                        status=422,
                        fields=["provided_items"],
                    )
                items = [item for item in items if item.pk in set(provided_items)]
            data = {"diagnostics_request": request.pk, "provided_items": [i.pk for i in items]}
        added, saved = reply_event(
            ticket, actor, TicketEvent.Kind.CUSTOMER_REPLY, now, body=body, files=files, data=data
        )
        fields: list[str] = []
        if request is not None:
            for item in items:
                item.done = True
                item.done_at = now
                item.save(update_fields=["done", "done_at"])
            request.answered_at = now
            request.answer_event = added
            request.save(update_fields=["answered_at", "answer_event"])
        if ticket.state == State.WAITING_FOR_CUSTOMER:
            fields += set_state(ticket, actor, now, State.IN_PROGRESS, action="customer_reply")
        notify_owner(
            ticket,
            "ticket_customer_activity",
            actor,
            {"activity": "reply", "body": added.body, "attachments": saved},
        )
        return save(ticket, fields, now)


def request_diagnostics(
    *,
    ticket: Ticket,
    actor: User,
    items: Sequence[RequestedItem],
    message: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Ask the customer for named diagnostics; in_progress → waiting_for_customer."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "request_diagnostics") as ticket:
        kinds = DiagnosticsRequestItem.Kind
        if not items:
            raise TicketActionError(
                "required", _("Name at least one item to request."), status=422, fields=["items"]
            )
        for item in items:
            if item.kind not in kinds.values:
                raise TicketActionError(
                    "invalid",
                    _("Unknown diagnostics item: %(kind)s.") % {"kind": item.kind},
                    status=422,
                    fields=["items"],
                )
            if item.kind == kinds.OTHER and not item.text.strip():
                raise TicketActionError(
                    "required",
                    _("Describe the other item you request."),
                    status=422,
                    fields=["items"],
                )
        added = event(
            ticket,
            actor,
            TicketEvent.Kind.DIAGNOSTICS_REQUESTED,
            now,
            body=message.strip(),
            data={"items": [{"kind": i.kind, "text": i.text.strip()} for i in items]},
        )
        request = DiagnosticsRequest.objects.create(
            ticket=ticket, event=added, requested_by=actor, created_at=now
        )
        rows = DiagnosticsRequestItem.objects.bulk_create(
            [
                DiagnosticsRequestItem(request=request, kind=i.kind, text=i.text.strip())
                for i in items
            ]
        )
        fields = set_state(
            ticket,
            actor,
            now,
            State.WAITING_FOR_CUSTOMER,
            action="request_diagnostics",
            extra={"diagnostics_request": request.pk},
        )
        notify_customer(ticket, "diagnostics_requested", {"message": added.body, "items": rows})
        return save(ticket, fields, now)


def record_email_not_accepted(
    *,
    ticket: Ticket,
    sender: User | None,
    body: str,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> TicketEvent:
    """A customer's e-mail the regulation does not accept as a reply, kept for agents: an
    internal event, no state change, no SLA effect, no notification."""
    now = resolve_now(now)
    with acting_as_system(ticket, "internal_note") as locked:
        return event(
            locked,
            sender,
            TicketEvent.Kind.EMAIL_NOT_ACCEPTED,
            now,
            body=body.strip(),
            data=data or {},
            internal=True,
        )
