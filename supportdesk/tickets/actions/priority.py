"""Priority and escalation: the customer escalates (optionally proposing a priority), either side
proposes a new priority that takes effect only when the other side accepts, a manager overrides
with a reason. Deadlines follow the priority through the SLA hook."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import EscalationContact, Priority
from supportdesk.tickets.actions.base import (
    TicketActionError,
    acting_on,
    event,
    not_found,
    notify_customer,
    notify_owner,
    require_state,
    require_text,
    resolve_now,
    save,
    ticket_url,
)
from supportdesk.tickets.models import Escalation, PriorityProposal, Ticket, TicketEvent

Side = PriorityProposal.Side


def side_of(actor: User, ticket: Ticket) -> str:
    """Which side of the ticket ``actor`` speaks for: the customer's, or support's."""
    return Side.CUSTOMER if access.is_ticket_customer(actor, ticket) else Side.SUPPORT


def request_escalation(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    text: str = "",
    priority_code: str = "",
    priority_reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """The customer escalates: recorded, escalation level + 1, the regulation's escalation contacts
    of that level (in their language) and the owner are notified; may carry a priority proposal."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "escalate") as ticket:
        if reason not in Escalation.Reason.values:
            raise TicketActionError(
                "invalid", _("Choose the reason of the escalation."), status=422, fields=["reason"]
            )
        pending = ticket.escalations.filter(answered_at__isnull=True).first()
        if pending is not None:
            raise TicketActionError(
                "escalation_pending",
                _(
                    "Your escalation to level %(level)s is still waiting for support's answer: "
                    "the escalation contacts have been told. You can escalate again after support "
                    "answers."
                )
                % {"level": pending.level},
                status=409,
            )
        text = text.strip()
        if reason == Escalation.Reason.OTHER:
            require_text(text, "text", _("Describe the reason of the escalation."))
        proposal = None
        if priority_code:
            proposal = _create_proposal(
                ticket,
                actor,
                now,
                side=Side.CUSTOMER,
                priority_code=priority_code,
                reason=priority_reason.strip() or text or str(Escalation.Reason(reason).label),
            )
        ticket.escalation_level += 1
        escalation = Escalation.objects.create(
            ticket=ticket,
            requested_by=actor,
            reason=reason,
            text=text,
            level=ticket.escalation_level,
            priority_proposal=proposal,
            created_at=now,
        )
        event(
            ticket,
            actor,
            TicketEvent.Kind.ESCALATION_REQUESTED,
            now,
            body=text,
            data={
                "reason": reason,
                "from": ticket.escalation_level - 1,
                "to": ticket.escalation_level,
                "escalation": escalation.pk,
                "priority_proposal": proposal.pk if proposal else None,
            },
        )
        context = {
            "ticket": ticket,
            "escalation": escalation,
            "reason_label": Escalation.Reason(reason).label,
            "ticket_url": ticket_url(ticket, for_agent=True),
        }
        contacts = EscalationContact.objects.filter(
            regulation_id=ticket.regulation_id, escalation_level__lte=ticket.escalation_level
        ).order_by("escalation_level", "id")
        for contact in contacts:
            enqueue_email(
                template="escalation_requested",
                recipients=[contact.email],
                language=contact.language,
                context=context,
                ticket=ticket,
            )
        notify_owner(ticket, "escalation_requested", actor, context)
        return save(ticket, ["escalation_level"], now)


def propose_priority_change(
    *,
    ticket: Ticket,
    actor: User,
    priority_code: str,
    reason: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """Either side proposes a new priority with a reason; it takes effect when the other accepts."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "propose_priority") as ticket:
        reason = require_text(reason, "reason", _("Say why the priority should change."))
        _create_proposal(
            ticket,
            actor,
            now,
            side=side_of(actor, ticket),
            priority_code=priority_code,
            reason=reason,
        )
        return save(ticket, [], now)


def accept_priority_change(
    *, ticket: Ticket, actor: User, proposal_id: int, now: dt.datetime | None = None
) -> Ticket:
    """The other side accepts: the priority changes (event data from/to) and deadlines follow."""
    now = resolve_now(now)
    with acting_on(ticket, actor, None) as ticket:
        proposal = _pending_proposal(ticket, actor, proposal_id)
        require_state(ticket, "decide_priority")
        proposal.state = PriorityProposal.State.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.save(update_fields=["state", "decided_at", "decided_by"])
        old = ticket.priority
        ticket.priority = proposal.to_priority
        event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_CHANGED,
            now,
            body=proposal.reason,
            data={
                "from": old.code,
                "to": proposal.to_priority.code,
                "proposal": proposal.pk,
                "side": proposal.side,
            },
        )
        _notify_proposer(
            ticket,
            proposal,
            actor,
            "priority_changed",
            {"from_priority": old, "to_priority": proposal.to_priority, "override": False},
        )
        return save(ticket, ["priority"], now)


def decline_priority_change(
    *,
    ticket: Ticket,
    actor: User,
    proposal_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """The other side declines: the priority stays."""
    now = resolve_now(now)
    with acting_on(ticket, actor, None) as ticket:
        proposal = _pending_proposal(ticket, actor, proposal_id)
        proposal.state = PriorityProposal.State.DECLINED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.decision_reason = reason.strip()
        proposal.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_DECLINED,
            now,
            body=reason.strip(),
            data={
                "proposal": proposal.pk,
                "from": proposal.from_priority.code,
                "to": proposal.to_priority.code,
            },
        )
        _notify_proposer(
            ticket,
            proposal,
            actor,
            "priority_declined",
            {"proposal": proposal, "reason": reason.strip()},
        )
        return save(ticket, [], now)


def override_priority(
    *,
    ticket: Ticket,
    actor: User,
    priority_code: str,
    reason: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """A manager sets the priority without agreement; recorded as an override, with a reason.
    Pending proposals are superseded."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "override_priority") as ticket:
        reason = require_text(reason, "reason", _("Say why the priority is overridden."))
        to = _new_priority(ticket, priority_code)
        ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING).update(
            state=PriorityProposal.State.SUPERSEDED, decided_at=now, decided_by=actor
        )
        old = ticket.priority
        ticket.priority = to
        event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_OVERRIDDEN,
            now,
            body=reason,
            data={"from": old.code, "to": to.code, "override": True},
        )
        context = {"from_priority": old, "to_priority": to, "override": True, "reason": reason}
        notify_customer(ticket, "priority_changed", context)
        notify_owner(ticket, "priority_changed", actor, context)
        return save(ticket, ["priority"], now)


def _new_priority(ticket: Ticket, code: str) -> Priority:
    """The regulation's priority ``code``, which must differ from the ticket's."""
    priority = Priority.objects.filter(regulation_id=ticket.regulation_id, code=code).first()
    if priority is None:
        raise TicketActionError(
            "invalid",
            _("Priority %(code)s does not exist in this regulation.") % {"code": code},
            status=422,
            fields=["priority"],
        )
    if priority.pk == ticket.priority_id:
        raise TicketActionError(
            "invalid",
            _("The request already has priority %(priority)s.") % {"priority": priority},
            status=422,
            fields=["priority"],
        )
    return priority


def _create_proposal(
    ticket: Ticket,
    actor: User,
    now: dt.datetime,
    *,
    side: str,
    priority_code: str,
    reason: str,
) -> PriorityProposal:
    to = _new_priority(ticket, priority_code)
    if ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING).exists():
        raise TicketActionError(
            "proposal_pending",
            _("A priority change is already proposed and waits for an answer."),
        )
    proposal = PriorityProposal.objects.create(
        ticket=ticket,
        side=side,
        proposed_by=actor,
        from_priority=ticket.priority,
        to_priority=to,
        reason=reason,
        created_at=now,
    )
    event(
        ticket,
        actor,
        TicketEvent.Kind.PRIORITY_PROPOSED,
        now,
        body=reason,
        data={"proposal": proposal.pk, "side": side, "from": ticket.priority.code, "to": to.code},
    )
    context = {"proposal": proposal, "reason": reason}
    if side == Side.CUSTOMER:
        notify_owner(ticket, "priority_proposed", actor, context)
    else:
        notify_customer(ticket, "priority_proposed", context)
    return proposal


def _pending_proposal(ticket: Ticket, actor: User, proposal_id: int) -> PriorityProposal:
    proposal = (
        ticket.priority_proposals.select_related("from_priority", "to_priority")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise not_found()
    if not access.may_decide_proposal(actor, ticket, proposal.side):
        raise TicketActionError(
            "forbidden",
            _("Only the other side accepts or declines a proposed priority change."),
            status=403,
        )
    if proposal.state != PriorityProposal.State.PENDING:
        raise TicketActionError("invalid_state", _("This proposal has already been answered."))
    return proposal


def _notify_proposer(
    ticket: Ticket, proposal: PriorityProposal, actor: User, template: str, context: dict
) -> None:
    if proposal.side == Side.CUSTOMER:
        notify_customer(ticket, template, context)
    else:
        notify_owner(ticket, template, actor, context)
