"""Who works the ticket: an engineer takes it, a dispatcher or manager assigns it, the owner or a
manager hands it over with a reason."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import Agent, User
from supportdesk.tickets.actions.base import (
    State,
    TicketActionError,
    acting_on,
    agent_of,
    event,
    notify_owner,
    require_text,
    resolve_now,
    save,
    set_state,
)
from supportdesk.tickets.models import Ticket, TicketEvent


def take_ticket(*, ticket: Ticket, actor: User, now: dt.datetime | None = None) -> Ticket:
    """An engineer (or manager) takes an unowned ticket; registered → in_progress."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "take") as ticket:
        agent = agent_of(actor)
        if ticket.owner is not None:
            raise TicketActionError(
                "already_owned",
                _("Request %(number)s is already owned by %(owner)s.")
                % {"number": ticket.number, "owner": ticket.owner.user},
            )
        ticket.owner = agent
        event(
            ticket,
            actor,
            TicketEvent.Kind.ASSIGNED,
            now,
            data={"from": None, "to": agent.pk, "to_name": str(actor), "how": "taken"},
        )
        fields = ["owner"]
        if ticket.state == State.REGISTERED:
            fields += set_state(ticket, actor, now, State.IN_PROGRESS, action="take")
        return save(ticket, fields, now)


def assign_ticket(
    *,
    ticket: Ticket,
    actor: User,
    assignee: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Assign an unowned ticket (dispatcher, manager), or reassign an owned one: only a manager,
    or the owner handing it over, and with a reason. Records who and why; e-mails the new owner."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "assign") as ticket:
        new_owner = access.agent_of(assignee) if assignee is not None else None
        if new_owner is None or new_owner.role not in (Agent.Role.ENGINEER, Agent.Role.MANAGER):
            raise TicketActionError(
                "invalid_assignee",
                _("Requests are assigned to engineers or managers only."),
                status=422,
                fields=["assignee"],
            )
        if new_owner.pk == ticket.owner_id:
            raise TicketActionError(
                "already_owned",
                _("Request %(number)s is already owned by %(owner)s.")
                % {"number": ticket.number, "owner": assignee},
            )
        old_owner = ticket.owner
        reason = reason.strip()
        if old_owner is not None:
            reason = require_text(
                reason, "reason", _("Say why the request is handed over to another engineer.")
            )
        ticket.owner = new_owner
        event(
            ticket,
            actor,
            TicketEvent.Kind.ASSIGNED,
            now,
            body=reason,
            data={
                "from": old_owner.pk if old_owner else None,
                "from_name": str(old_owner.user) if old_owner else None,
                "to": new_owner.pk,
                "to_name": str(assignee),
                "how": "reassigned" if old_owner else "assigned",
                "reason": reason,
            },
        )
        fields = ["owner"]
        if ticket.state == State.REGISTERED:
            fields += set_state(ticket, actor, now, State.IN_PROGRESS, action="assign")
        notify_owner(ticket, "ticket_assigned", actor, {"reason": reason})
        return save(ticket, fields, now)
