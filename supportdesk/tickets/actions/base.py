"""What every ticket action shares: its errors, the one table of states per action, the opening
(transaction, lock, visibility, role, state), and the helpers that write timeline events and
outbox e-mails.

Lifecycle: registered → in_progress ⇄ waiting_for_customer → solution_proposed → closed;
solution_proposed → in_progress on a reasoned refusal; closed → in_progress on a reopen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import Agent, User
from supportdesk.outbox.services import enqueue_email
from supportdesk.sla import hooks as sla_hooks
from supportdesk.tickets import attachments, search_index
from supportdesk.tickets.models import (
    Attachment,
    Escalation,
    PriorityProposal,
    Ticket,
    TicketEvent,
    TicketState,
)

State = TicketState
OPEN_STATES = frozenset(
    {State.REGISTERED, State.IN_PROGRESS, State.WAITING_FOR_CUSTOMER, State.SOLUTION_PROPOSED}
)

# The states each action is allowed in. The actions enforce it; the pages offer an action's form
# only where it applies (``available_actions``). One table, so the two cannot disagree.
ACTION_STATES: dict[str, frozenset[str]] = {
    "take": OPEN_STATES,
    "assign": OPEN_STATES,
    "public_reply": OPEN_STATES,
    "internal_note": frozenset(State.values),
    "customer_reply": OPEN_STATES,
    "request_diagnostics": frozenset({State.IN_PROGRESS}),
    "propose_solution": frozenset({State.IN_PROGRESS}),
    "confirm_solution": frozenset({State.SOLUTION_PROPOSED}),
    "refuse_solution": frozenset({State.SOLUTION_PROPOSED}),
    "escalate": OPEN_STATES,
    "propose_priority": OPEN_STATES,
    "decide_priority": OPEN_STATES,
    "override_priority": OPEN_STATES,
    "agree_work_method": OPEN_STATES,
    "split": OPEN_STATES,
    "merge": OPEN_STATES,
    "reopen": frozenset({State.CLOSED}),
    "withdraw": OPEN_STATES,
    "close": OPEN_STATES,
}


class TicketActionError(Exception):
    """An action that may not proceed. ``status``: 404 unknown, 403 role, 409 state, 422 input."""

    def __init__(
        self, code: str, message: str, *, status: int = 409, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or []


def not_found(fields: list[str] | None = None) -> TicketActionError:
    return TicketActionError("not_found", _("Not found."), status=404, fields=fields)


def resolve_now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# --- The opening of every action ------------------------------------------------------------


@contextmanager
def acting_on(ticket: Ticket, actor: User, action: str | None) -> Iterator[Ticket]:
    """The action's transaction with the ticket row locked, yielding the locked ticket.

    One query locks the row through the actor's visibility filter (404 when they may not see
    it); then the actor's role (403) and the ticket's state (409) are checked for ``action``.
    With ``action=None`` only the lock and the visibility are checked: the action checks the
    rest itself (answering a priority proposal depends on the proposal's side).
    """
    with transaction.atomic():
        locked = access.lock_visible_ticket(actor, ticket.pk)
        if locked is None:
            raise not_found()
        if action is not None:
            require_role(locked, actor, action)
            require_state(locked, action)
        yield locked


@contextmanager
def acting_as_system(ticket: Ticket, action: str) -> Iterator[Ticket]:
    """The opening of what the regulation does on its own (the SLA sweep): lock and state."""
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("owner__user", "contact__user", "regulation")
            .get(pk=ticket.pk)
        )
        require_state(locked, action)
        yield locked


def require_role(ticket: Ticket, actor: User, action: str) -> None:
    if not access.role_allows(actor, ticket, action):
        raise TicketActionError(
            "forbidden",
            _("You are not allowed to do this on request %(number)s.") % {"number": ticket.number},
            status=403,
        )


def require_state(ticket: Ticket, action: str) -> None:
    if ticket.state not in ACTION_STATES[action]:
        raise TicketActionError(
            "invalid_state",
            _("This is not possible while request %(number)s is %(state)s.")
            % {"number": ticket.number, "state": State(ticket.state).label},
        )


def require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TicketActionError("required", message, status=422, fields=[field_name])
    return value


def agent_of(user: User) -> Agent:
    """The agent behind ``user``; only for actions whose role check already required one."""
    agent = access.agent_of(user)
    assert agent is not None
    return agent


def available_actions(
    user: User,
    ticket: Ticket,
    names: Iterable[str],
    proposal: PriorityProposal | None = None,
) -> set[str]:
    """The actions of ``names`` that ``user`` may take on ``ticket`` now, by the same role and
    state rules the actions enforce; a page offers exactly these forms. "decide_priority" is the
    other side's answer to the pending ``proposal``. ``ticket`` comes from an access check."""
    allowed = set()
    for name in names:
        if name == "decide_priority":
            if proposal is not None and access.may_decide_proposal(user, ticket, proposal.side):
                allowed.add(name)
            continue
        if ticket.state not in ACTION_STATES[name] or not access.role_allows(user, ticket, name):
            continue
        if name == "take" and ticket.owner_id is not None:
            continue
        if name == "reopen" and ticket.merged_into_id is not None:
            continue
        if name == "propose_priority" and proposal is not None:
            continue
        allowed.add(name)
    return allowed


# --- Writing the change ---------------------------------------------------------------------


def event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    now: dt.datetime,
    *,
    body: str = "",
    data: dict | None = None,
    internal: bool = False,
) -> TicketEvent:
    """Append one event to the ticket's timeline. Support's public answer (``ANSWERING_KINDS``
    by an agent) answers the pending escalation, after which the customer may escalate again."""
    created = TicketEvent.objects.create(
        ticket=ticket,
        created_at=now,
        actor=actor,
        kind=kind,
        body=body,
        data=data or {},
        is_internal=internal,
    )
    if kind in ANSWERING_KINDS and not internal and actor is not None and access.is_agent(actor):
        Escalation.objects.filter(ticket=ticket, answered_at__isnull=True).update(answered_at=now)
    return created


# What support does in the customer's sight that answers an escalation.
ANSWERING_KINDS = frozenset(
    {
        TicketEvent.Kind.PUBLIC_REPLY,
        TicketEvent.Kind.SOLUTION_PROPOSED,
        TicketEvent.Kind.DIAGNOSTICS_REQUESTED,
        TicketEvent.Kind.PRIORITY_CHANGED,
        TicketEvent.Kind.PRIORITY_DECLINED,
        TicketEvent.Kind.PRIORITY_OVERRIDDEN,
        TicketEvent.Kind.WORK_METHOD_AGREED,
        TicketEvent.Kind.STATE_CHANGED,
    }
)


def set_state(
    ticket: Ticket,
    actor: User | None,
    now: dt.datetime,
    to: str,
    *,
    action: str,
    reason: str = "",
    close_reason: str = "",
    extra: dict | None = None,
) -> list[str]:
    """Move the ticket to ``to`` and write the STATE_CHANGED event; returns the changed fields."""
    old = ticket.state
    ticket.state = to
    fields = ["state"]
    data: dict = {"from": old, "to": to, "action": action}
    if to == State.CLOSED:
        ticket.closed_at = now
        ticket.close_reason = close_reason
        data["close_reason"] = close_reason
        fields += ["closed_at", "close_reason"]
    elif old == State.CLOSED:
        ticket.closed_at = None
        ticket.close_reason = ""
        fields += ["closed_at", "close_reason"]
    if reason:
        data["reason"] = reason
    data.update(extra or {})
    event(ticket, actor, TicketEvent.Kind.STATE_CHANGED, now, body=reason, data=data)
    return fields


def save(ticket: Ticket, fields: list[str], now: dt.datetime) -> Ticket:
    """Store the changed fields and bring the SLA deadlines in step with the timeline."""
    ticket.save(update_fields=sorted({*fields, "updated_at"}))
    ticket_changed(ticket, now)
    return ticket


def ticket_changed(ticket: Ticket, now: dt.datetime) -> None:
    """Recompute the SLA deadlines and the search document in this transaction."""
    sla_hooks.on_ticket_changed(ticket=ticket, now=now)
    search_index.index_ticket(ticket)


def ticket_url(ticket: Ticket, *, for_agent: bool = False) -> str:
    """The absolute address of the ticket's page: the portal's, or the workspace's."""
    name = "workspace:ticket" if for_agent else "ticket_detail"
    return settings.SITE_URL + reverse(name, args=[ticket.number])


def notify_customer(ticket: Ticket, template: str, context: dict | None = None) -> None:
    """A customer-facing e-mail to the ticket's contact, in their language. Never pass internal
    notes in ``context``."""
    user = ticket.contact.user
    enqueue_email(
        template=template,
        recipients=[user.email],
        language=user.language,
        context={"ticket": ticket, "ticket_url": ticket_url(ticket), **(context or {})},
        ticket=ticket,
    )


def notify_owner(
    ticket: Ticket, template: str, actor: User | None, context: dict | None = None
) -> None:
    """An agent-facing e-mail to the ticket's owner, unless the owner did it."""
    if ticket.owner is None:
        return
    user = ticket.owner.user
    if actor is not None and user.pk == actor.pk:
        return
    enqueue_email(
        template=template,
        recipients=[user.email],
        language=user.language,
        context={
            "ticket": ticket,
            "actor": actor,
            "ticket_url": ticket_url(ticket, for_agent=True),
            **(context or {}),
        },
        ticket=ticket,
    )


def reply_event(
    ticket: Ticket,
    actor: User,
    kind: str,
    now: dt.datetime,
    *,
    body: str,
    files: Sequence[Any],
    internal: bool = False,
    data: dict | None = None,
) -> tuple[TicketEvent, list[Attachment]]:
    """An event carrying text and files. Refused files are listed in the event's data with the
    reason; the text and the accepted files are kept."""
    checked: list[attachments.CheckedFile] = []
    rejected: list[dict[str, str]] = []
    if files:
        checked, rejected = attachments.check_files(files, regulation=ticket.regulation)
    if not body.strip() and not checked:
        if rejected:
            raise TicketActionError(
                "attachments_rejected",
                " ".join(item["message"] for item in rejected),
                status=422,
                fields=["files"],
            )
        raise TicketActionError(
            "required", _("Write a message or attach a file."), status=422, fields=["body"]
        )
    event_data = dict(data or {})
    if rejected:
        event_data["rejected_files"] = rejected
    added = event(ticket, actor, kind, now, body=body.strip(), data=event_data, internal=internal)
    saved = attachments.save_attachments(
        ticket=ticket, event=added, checked=checked, uploaded_by=actor
    )
    return added, saved
