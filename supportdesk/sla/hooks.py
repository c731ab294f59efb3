"""Keep a ticket's deadline columns in step with its timeline.

``on_ticket_changed`` is called by every ticket service inside its transaction, after the change
(``tickets.actions.base.ticket_changed``). It recomputes the timers from the timeline, records a
priority change as "deadlines_changed" (old and new deadlines), and writes the deadline columns
and ``sla_next_check_at``. It never fires warnings or breaches itself: when something is already
due (a first response after the deadline, say), ``sla_next_check_at`` is in the past and the next
sweep acts on it, so firing lives in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from django.db import transaction

from supportdesk.sla import clock, timers
from supportdesk.sla.models import SlaBreach
from supportdesk.tickets.models import Ticket, TicketEvent


def on_ticket_changed(*, ticket: Ticket, now: dt.datetime) -> Ticket:
    """Recompute ``ticket``'s deadlines after a change; call inside the change's transaction."""
    with transaction.atomic():
        context = clock.load_context([ticket])
        steps = clock.load_steps([ticket.pk]).get(ticket.pk, [])
        fired = clock.load_fired([ticket.pk]).get(ticket.pk, set())
        sync_ticket(ticket, context=context, steps=steps, fired=fired, now=now)
    return ticket


def set_initial_deadlines(ticket: Ticket, *, now: dt.datetime) -> None:
    """Fill the deadline columns of a ticket about to be registered (not saved yet).

    The same values ``on_ticket_changed`` would store right after the insert (a new ticket has no
    step the clock reads and no firing), computed before it so registration writes them with the
    INSERT. Needs ``ticket.regulation``; the SLA cells come from the per-version cache.
    """
    context = clock.regulation_context(ticket.regulation)
    ticket_clock = clock.ticket_clock(ticket, context=context, steps=[], now=now)
    for name, value in ticket_clock.columns().items():
        setattr(ticket, name, value)
    ticket.sla_next_check_at = next_check_at(ticket_clock, set(), now)


def sync_ticket(
    ticket: Ticket,
    *,
    context: clock.Context,
    steps: list[timers.Step],
    fired: set[tuple[str, str, str]],
    now: dt.datetime,
    write: bool = True,
) -> timers.TicketClock:
    """Record an unrecorded priority change, then store the columns (unless ``write`` is off:
    the sweep writes them once, after acting). Returns the clock.

    ``steps`` is extended in place with the "deadlines_changed" step when one is written.
    """
    ticket_clock = clock.ticket_clock(ticket, context=context, steps=steps, now=now)
    if ticket_clock.unrecorded_priority_from is not None:
        _record_deadlines_changed(ticket, ticket_clock, context=context, steps=steps, now=now)
    if write:
        write_columns(ticket, ticket_clock, fired=fired, now=now)
    return ticket_clock


def next_check_at(
    ticket_clock: timers.TicketClock, fired: Iterable[tuple[str, str, str]], now: dt.datetime
) -> dt.datetime | None:
    pending = ticket_clock.pending_checks(fired, now)
    return pending[0].due_at if pending else None


def write_columns(
    ticket: Ticket,
    ticket_clock: timers.TicketClock,
    *,
    fired: set[tuple[str, str, str]],
    now: dt.datetime,
    next_check: dt.datetime | None | Literal[False] = False,
) -> None:
    """Store the deadline columns (one UPDATE, none when nothing changed).

    ``next_check`` overrides the computed ``sla_next_check_at`` (the sweep's retry delay).
    """
    values: dict[str, dt.datetime | None] = ticket_clock.columns()
    values["sla_next_check_at"] = (
        next_check_at(ticket_clock, fired, now) if next_check is False else next_check
    )
    changed = {name: value for name, value in values.items() if getattr(ticket, name) != value}
    if changed:
        # A queryset update: the columns are derived data, they do not touch updated_at.
        Ticket.objects.filter(pk=ticket.pk).update(**changed)
        for name, value in changed.items():
            setattr(ticket, name, value)
    for timer in ticket_clock.timers:
        if changed.get(f"{timer.name}_met_at") is not None:
            _settle_breach(ticket, timer, fired)


def _settle_breach(
    ticket: Ticket, timer: timers.TimerState, fired: set[tuple[str, str, str]]
) -> None:
    """A breached target met at last: keep when, and how late in business minutes."""
    if (timer.name, timers.BREACH, timer.key) in fired:
        SlaBreach.objects.filter(
            ticket=ticket, target=timer.name, target_minutes=timer.target_minutes
        ).update(met_at=timer.met_at, minutes_late=minutes_late(timer))


def minutes_late(timer: timers.TimerState) -> int:
    """Whole business minutes past the target (up to the met instant when met)."""
    return max(int(-timer.remaining_minutes), 0)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _record_deadlines_changed(
    ticket: Ticket,
    new: timers.TicketClock,
    *,
    context: clock.Context,
    steps: list[timers.Step],
    now: dt.datetime,
) -> None:
    old_code = new.unrecorded_priority_from
    old = clock.ticket_clock(ticket, context=context, steps=steps, now=now, priority_code=old_code)
    new_code = next(
        (s.data.get("to") for s in reversed(steps) if s.kind in timers.PRIORITY_KINDS), None
    )
    data: dict = {"from": old_code, "to": new_code}
    for name in (timers.REACTION, timers.RESOLUTION):
        before, after = getattr(old, name), getattr(new, name)
        data[name] = {
            "old": _iso(before.due_at) if before else None,
            "new": _iso(after.due_at) if after else None,
            "old_minutes": before.target_minutes if before else None,
            "new_minutes": after.target_minutes if after else None,
        }
    TicketEvent.objects.create(
        ticket=ticket, created_at=now, kind=timers.DEADLINES_CHANGED, data=data
    )
    steps.append(timers.Step(timers.DEADLINES_CHANGED, now, data))
