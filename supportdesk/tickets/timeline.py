"""What a timeline shows: each event with who did it (as the reader may see them), its files,
the diagnostics it requested, and its details in words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.formatting import format_minutes, format_stored_datetime
from supportdesk.regulations.models import Priority, WorkMethod
from supportdesk.tickets.models import (
    Attachment,
    CloseReason,
    DiagnosticsRequest,
    Escalation,
    Ticket,
    TicketEvent,
    TicketState,
)

Kind = TicketEvent.Kind
PRIORITY_KINDS = (
    Kind.PRIORITY_PROPOSED,
    Kind.PRIORITY_CHANGED,
    Kind.PRIORITY_DECLINED,
    Kind.PRIORITY_OVERRIDDEN,
)


def timeline_items(ticket: Ticket, user: User) -> list[dict[str, Any]]:
    """The timeline ``user`` reads (``access.timeline_events``), each event with what the page
    shows beside it: the actor's label, files, requested diagnostics, details in words and the
    files refused with it. A few queries, whatever the length of the timeline."""
    for_customer = not access.is_agent(user)
    events = list(access.timeline_events(ticket, user))
    by_id = {event.pk: event for event in events}
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(event_id__in=by_id).order_by("id"):
        assert attachment.event_id is not None  # filtered by event
        attachment.event = by_id[attachment.event_id]  # the page reads it; no query per file
        files.setdefault(attachment.event_id, []).append(attachment)
    requests = {
        request.event_id: request
        for request in DiagnosticsRequest.objects.filter(event_id__in=by_id).prefetch_related(
            "items"
        )
    }
    names = {
        "priority": {
            p.code: p.tr("name")
            for p in Priority.objects.filter(regulation_id=ticket.regulation_id)
        },
        "method": {
            m.code: m.tr("name")
            for m in WorkMethod.objects.filter(regulation_id=ticket.regulation_id)
        },
    }
    return [
        {
            "event": event,
            "actor": actor_label(event, for_customer=for_customer),
            "internal": event.is_internal,
            "attachments": files.get(event.pk, []),
            "diagnostics": requests.get(event.pk),
            "details": event_details(event, names, for_customer=for_customer),
            "rejected": event.data.get("rejected_files", []),
        }
        for event in events
    ]


def actor_label(event: TicketEvent, *, for_customer: bool) -> str:
    """Who did it. Customers see agents by name only, never their address; agents see everyone,
    customers marked as such."""
    actor = event.actor
    if actor is None:
        return _("System")
    is_agent = access.agent_of(actor) is not None
    if for_customer:
        if is_agent:
            return actor.get_full_name() or _("Support")
        return actor.get_full_name() or actor.email
    name = actor.get_full_name() or actor.email
    return name if is_agent else _("%(name)s (customer)") % {"name": name}


def _label(choices: Any, value: object) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


def _arrow(left: object, right: object) -> str:
    return _("%(from)s → %(to)s") % {"from": left, "to": right}


def event_details(event: TicketEvent, names: dict, *, for_customer: bool) -> list[str]:
    """The event's data in words, e.g. "In progress → Waiting for customer"."""
    data = event.data or {}
    kind = event.kind
    if kind == Kind.STATE_CHANGED:
        lines = [_arrow(_label(TicketState, data.get("from")), _label(TicketState, data.get("to")))]
        if data.get("close_reason"):
            lines.append(_label(CloseReason, data["close_reason"]))
        return lines
    if kind in PRIORITY_KINDS:
        priority = names["priority"]
        return [
            _arrow(
                priority.get(data.get("from"), data.get("from")),
                priority.get(data.get("to"), data.get("to")),
            )
        ]
    if kind == Kind.ESCALATION_REQUESTED:
        return [
            _("%(reason)s; escalation level %(level)s")
            % {"reason": _label(Escalation.Reason, data.get("reason")), "level": data.get("to")}
        ]
    if kind == Kind.WORK_METHOD_AGREED:
        return [names["method"].get(data.get("to"), data.get("to"))]
    if kind == Kind.DEADLINES_CHANGED:
        return deadline_changes(data)
    if kind in (Kind.SLA_WARNING, Kind.SLA_BREACH) and not for_customer:
        return [sla_alert_line(kind == Kind.SLA_BREACH, data)]
    if kind == Kind.CONFIRMATION_REMINDER:
        if for_customer:
            return [_("We reminded you by e-mail to confirm or refuse the proposed solution.")]
        return [_("The customer was reminded by e-mail to confirm the proposed solution.")]
    if kind == Kind.ASSIGNED and not for_customer:
        # Agents' names only: the customer's page never carries them beyond the actor label.
        if data.get("from_name"):
            return [_arrow(data["from_name"], data.get("to_name"))]
        if data.get("to_name"):
            return [_("To %(name)s") % {"name": data["to_name"]}]
    return []


def _retime_causes() -> dict[str, str]:
    return {
        "sla_matrix": _("After the SLA matrix changed"),
        "calendar": _("After a business calendar changed"),
        "priority": _("After a priority changed"),
        "contract": _("After the contract's support level changed"),
        "regulation": _("After the regulation changed"),
    }


def _level_name(level: dict | None) -> str:
    if not level:
        return "—"
    if (get_language() or "").startswith("en") and level.get("name_en"):
        return str(level["name_en"])
    return str(level.get("name") or level.get("code") or "—")


def deadline_changes(data: dict) -> list[str]:
    """Each target's old → new deadline (and budget, when it changed) after a priority change or
    a regulation edit (``cause``: then only the targets that moved are listed, after the cause).
    A missing deadline (met, or paused) shows as "—"."""
    lines = []
    cause = data.get("cause")
    if cause:
        lines.append(_retime_causes().get(cause, str(cause)))
        if data.get("level"):
            lines.append(
                _("Support level: %(old)s → %(new)s")
                % {
                    "old": _level_name(data["level"].get("from")),
                    "new": _level_name(data["level"].get("to")),
                }
            )
    for name, title in (("reaction", _("Reaction")), ("resolution", _("Resolution"))):
        if cause and name not in data:
            continue
        change = data.get(name) or {}
        line = _("%(timer)s: %(old)s → %(new)s") % {
            "timer": title,
            "old": format_stored_datetime(change.get("old")),
            "new": format_stored_datetime(change.get("new")),
        }
        old_minutes, new_minutes = change.get("old_minutes"), change.get("new_minutes")
        if old_minutes and new_minutes and old_minutes != new_minutes:
            line += " " + _("(target %(old)s → %(new)s of business time)") % {
                "old": format_minutes(old_minutes),
                "new": format_minutes(new_minutes),
            }
        lines.append(line)
    return lines


def sla_alert_line(breach: bool, data: dict) -> str:
    """An internal warning or breach in words; the deadline in the viewer's time zone."""
    values = {
        "target": format_minutes(int(data.get("target_minutes") or 0)),
        "due": format_stored_datetime(data.get("due_at")),
        "percent": data.get("percent", 0),
    }
    reaction = data.get("timer") == "reaction"
    if breach and reaction:
        return _("Reaction target of %(target)s missed; deadline %(due)s.") % values
    if breach:
        return _("Resolution target of %(target)s missed; deadline %(due)s.") % values
    if reaction:
        return _("%(percent)s%% of the reaction target (%(target)s) used; due %(due)s.") % values
    return _("%(percent)s%% of the resolution target (%(target)s) used; due %(due)s.") % values


def attachments_of(items: Iterable[dict[str, Any]]) -> list[Attachment]:
    """Every file of a timeline, in timeline order (the page's list of files)."""
    return [attachment for item in items for attachment in item["attachments"]]


def proposed_solution(items: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest proposed solution of a timeline (the item: event and files), for the box
    where the customer confirms or refuses it."""
    found = None
    for item in items:
        if item["event"].kind == Kind.SOLUTION_PROPOSED:
            found = item
    return found
