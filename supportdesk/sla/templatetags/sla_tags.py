"""The ticket's timers as people see them.

``{% load sla_tags %}{% sla_timers ticket %}`` renders ``sla/timers.html``: per target (reaction,
resolution) its business-time budget, the state (ok, warning, breached, paused, met), the business
time left ("3 h 20 min", counted on the target's calendar) and the deadline in the viewer's time
zone (the active Django time zone). Customers see the targets of their level and priority; the
internal warning state is shown to agents only. A few queries per ticket: for a detail page.

``{% sla_row ticket %}`` renders ``sla/row.html`` for list rows from the stored columns alone
(no query): the nearest deadline and whether it has passed.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from businesstime.calendar import business_minutes_between
from supportdesk import access
from supportdesk.formatting import format_age, format_minutes
from supportdesk.sla import clock
from supportdesk.sla.models import Timer
from supportdesk.tickets.models import Ticket

register = template.Library()


@register.filter
def signed_minutes(minutes: float | None) -> str:
    """Business minutes left as "4 min", or overdue as "−2 h 36 min"."""
    return format_minutes(minutes, signed=True)


@register.filter
def age(since: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """The wall-clock time since ``since``: "12 min", "3 h 20 min", "2 d 4 h"."""
    if since is None:
        return ""
    return format_age(((now or timezone.now()) - since).total_seconds())


@register.filter
def business_duration(minutes: float | None) -> str:
    """Business minutes as "3 h 20 min", "45 min", "2 h"; negative values as their magnitude."""
    if minutes is None:
        return ""
    total = int(abs(minutes))
    hours, mins = divmod(total, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours})
    if mins or not hours:
        parts.append(ngettext("%(count)d min", "%(count)d min", mins) % {"count": mins})
    return " ".join(parts)


def _is_agent(context: template.Context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and access.agent_of(user) is not None)


@register.inclusion_tag("sla/timers.html", takes_context=True)
def sla_timers(context: template.Context, ticket: Ticket, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    sla = clock.load_context([ticket])
    steps = clock.load_steps([ticket.pk]).get(ticket.pk, [])
    ticket_clock = clock.ticket_clock(ticket, context=sla, steps=steps, now=now)
    agent = _is_agent(context)
    rows = []
    for timer in ticket_clock.timers:
        status = timer.status(now)
        due_at = timer.due_at
        if timer.phase == "running":
            # The stored column, as the queue and the sweep read it: after a regulation edit the
            # page moves when the re-timing job has moved the ticket (sla/retime.py), not before.
            due_at = getattr(ticket, f"{timer.name}_due_at", None) or timer.due_at
            if due_at is not None and due_at != timer.due_at:
                status = "breached" if due_at <= now else "ok"
        if status == "warning" and not agent:
            status = "ok"
        if timer.phase == "running" and due_at is not None:
            # Left (or overdue) from now to the deadline, in the target's business time.
            if due_at >= now:
                remaining = business_minutes_between(timer.calendar, now, due_at)
            else:
                remaining = -business_minutes_between(timer.calendar, due_at, now)
        else:
            remaining = timer.remaining_minutes
        rows.append(
            {
                "name": timer.name,
                "label": Timer(timer.name).label,
                "target_minutes": timer.target_minutes,
                "status": status,
                "status_label": _STATUS_LABELS[status](),
                "phase": timer.phase,
                "due_at": due_at if timer.phase == "running" else None,
                "met_at": timer.met_at,
                "remaining_minutes": remaining,
                "overdue": remaining < 0,
            }
        )
    return {"ticket": ticket, "timers": rows, "is_agent": agent}


@register.inclusion_tag("sla/row.html")
def sla_row(ticket: Ticket, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    due = ticket.sla_due_at
    if ticket.state == "closed":
        status = "closed"
    elif due is None:
        status = "paused" if ticket.state == "waiting_for_customer" else "met"
    else:
        status = "breached" if due <= now else "ok"
    return {"ticket": ticket, "due_at": due, "status": status}


_STATUS_LABELS = {
    "ok": lambda: _("on time"),
    "warning": lambda: _("nearly due"),
    "breached": lambda: _("breached"),
    "paused": lambda: _("paused"),
    "met": lambda: _("met"),
}
