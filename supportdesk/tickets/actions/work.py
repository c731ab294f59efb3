"""How the work is organised: the work method agreed with the customer, and one problem per
ticket (split a second problem off, merge a duplicate) without losing history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.regulations.models import WorkMethod
from supportdesk.tickets.actions.base import (
    State,
    TicketActionError,
    acting_on,
    event,
    not_found,
    notify_customer,
    notify_owner,
    require_role,
    require_state,
    require_text,
    resolve_now,
    save,
    set_state,
    ticket_changed,
)
from supportdesk.tickets.actions.priority import Side, side_of
from supportdesk.tickets.models import CloseReason, Ticket, TicketEvent
from supportdesk.tickets.numbering import next_ticket_number


def methods_for_level(ticket: Ticket) -> list[WorkMethod]:
    """The work methods the regulation allows at the ticket's support level (one query)."""
    methods = WorkMethod.objects.filter(regulation_id=ticket.regulation_id).filter(
        Q(levels__isnull=True) | Q(levels=ticket.level_id)
    )
    return list(methods.distinct().order_by("id"))


def agree_work_method(
    *,
    ticket: Ticket,
    actor: User,
    method_code: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Record the work method agreed with the customer (only methods the regulation allows for the
    ticket's level). It never changes the targets."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "agree_work_method") as ticket:
        allowed = methods_for_level(ticket)
        method = next((m for m in allowed if m.code == method_code), None)
        if method is None:
            raise TicketActionError(
                "method_not_available",
                _(
                    "This work method is not available for %(level)s support. "
                    "Available: %(allowed)s."
                )
                % {
                    "level": ticket.level.tr("name"),
                    "allowed": ", ".join(m.tr("name") for m in allowed) or "—",
                },
                status=422,
                fields=["method"],
            )
        old = ticket.work_method
        ticket.work_method = method
        side = side_of(actor, ticket)
        event(
            ticket,
            actor,
            TicketEvent.Kind.WORK_METHOD_AGREED,
            now,
            body=note.strip(),
            data={"from": old.code if old else None, "to": method.code, "side": side},
        )
        context = {"method": method, "note": note.strip()}
        if side == Side.CUSTOMER:
            notify_owner(ticket, "work_method_agreed", actor, context)
        else:
            notify_customer(ticket, "work_method_agreed", context)
        # Deliberately not ``save``: a work method never changes the targets.
        ticket.save(update_fields=["work_method", "updated_at"])
        return ticket


def split_ticket(
    *,
    ticket: Ticket,
    actor: User,
    subject: str,
    description: str,
    now: dt.datetime | None = None,
) -> Ticket:
    """Split a second problem off into a new ticket (one problem per ticket). Returns the NEW
    ticket: same organization, contract, product, contact and priority, its own number and
    registration time; both are linked (``split_from`` / ``split_tickets``)."""
    now = resolve_now(now)
    with acting_on(ticket, actor, "split") as source:
        description = require_text(
            description, "description", _("Describe the problem that becomes a new request.")
        )
        subject_field = Ticket._meta.get_field("subject")
        new = Ticket.objects.create(
            number=next_ticket_number(now=now),
            organization_id=source.organization_id,
            contact_id=source.contact_id,
            contract_id=source.contract_id,
            regulation_id=source.regulation_id,
            level_id=source.level_id,
            product_id=source.product_id,
            version=source.version,
            license_key_id=source.license_key_id,
            os_version=source.os_version,
            service_pack=source.service_pack,
            channel=source.channel,
            priority_id=source.priority_id,
            team_id=source.team_id,
            language=source.language,
            subject=(subject.strip() or description[:80])[: subject_field.max_length],
            description=description,
            registered_at=now,
            registered_by=actor,
            split_from=source,
        )
        event(
            new,
            actor,
            TicketEvent.Kind.REGISTERED,
            now,
            data={
                "channel": new.channel,
                "priority": new.priority.code,
                "split_from": source.number,
            },
        )
        event(source, actor, TicketEvent.Kind.SPLIT, now, body=new.subject, data={"to": new.number})
        with translation.override(new.contact.user.language):
            names = {"priority_name": new.priority.tr("name"), "level_name": new.level.tr("name")}
        notify_customer(new, "ticket_registered", names)
        save(source, [], now)
        ticket_changed(new, now)
        return new


def merge_ticket(
    *,
    ticket: Ticket,
    actor: User,
    target: Ticket,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Merge ``ticket`` into ``target`` (same organization): the merged ticket closes as a
    duplicate pointing at the target; both timelines record it, nothing is deleted."""
    now = resolve_now(now)
    with transaction.atomic():
        # Both rows locked, always in id order, so two opposite merges cannot deadlock; each
        # through the actor's visibility filter.
        locked = {}
        for pk in sorted({ticket.pk, target.pk}):
            row = access.lock_visible_ticket(actor, pk)
            if row is not None:
                locked[pk] = row
        source, target_row = locked.get(ticket.pk), locked.get(target.pk)
        if source is None:
            raise not_found()
        require_role(source, actor, "merge")
        if target_row is None or target_row.organization_id != source.organization_id:
            raise not_found(["target"])
        if source.pk == target_row.pk:
            raise TicketActionError(
                "invalid",
                _("A request cannot be merged into itself."),
                status=422,
                fields=["target"],
            )
        require_state(source, "merge")
        if target_row.state == State.CLOSED:
            raise TicketActionError(
                "invalid_state",
                _("Request %(number)s is closed; merge into an open request.")
                % {"number": target_row.number},
            )
        reason = reason.strip()
        event(
            source,
            actor,
            TicketEvent.Kind.MERGED,
            now,
            body=reason,
            data={"into": target_row.number},
        )
        fields = set_state(
            source,
            actor,
            now,
            State.CLOSED,
            action="merge",
            reason=reason,
            close_reason=CloseReason.DUPLICATE,
            extra={"into": target_row.number},
        )
        source.merged_into = target_row
        event(
            target_row,
            actor,
            TicketEvent.Kind.MERGED_IN,
            now,
            body=reason,
            data={"from": source.number},
        )
        notify_customer(
            source,
            "ticket_closed",
            {
                "close_reason_label": CloseReason.DUPLICATE.label,
                "reason": reason,
                "target": target_row,
            },
        )
        save(target_row, [], now)
        return save(source, [*fields, "merged_into"], now)
