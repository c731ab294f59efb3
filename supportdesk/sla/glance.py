"""Where a ticket stands against its SLA, at a glance, from the stored deadline columns.

The queue shows, per row, the business time left to the nearest deadline (or how far past it),
and whether the ticket is on time, past the regulation's warning threshold, breached, paused or
met. The timers themselves are not recomputed from the timeline (that is the ticket page's job,
``sla_tags.sla_timers``): the deadline columns the hooks and the sweep keep are the truth, and the
only extra reading is the SLA cell of each (level, priority) and its calendars, for all the rows of
a page in three queries (``load_cells``).

Warning threshold: a running target warns once ``warning_percent`` of its budget is consumed,
i.e. when the business minutes left fall to ``target × (100 − percent) / 100`` (the same instant
as ``TimerState.warn_at``: the pauses all lie in the past of a running timer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import prefetch_related_objects

from businesstime.calendar import WorkingCalendar, business_minutes_between, is_working_time
from supportdesk.regulations.models import BusinessCalendar, SlaTarget
from supportdesk.sla import clock
from supportdesk.sla.timers import REACTION, RESOLUTION
from supportdesk.tickets.models import Ticket, TicketState

OK = "ok"
WARNING = "warning"
BREACHED = "breached"
PAUSED = "paused"
MET = "met"
CLOSED = "closed"


@dataclass(frozen=True)
class Cell:
    """One SLA cell compiled: per target its budget in business minutes and its calendar."""

    minutes: dict[str, int]
    calendars: dict[str, WorkingCalendar]


@dataclass(frozen=True)
class Glance:
    """A ticket's SLA standing at ``now``.

    ``left_minutes``: business minutes from now to the deadline of ``timer`` (negative when
    overdue), None when no deadline runs. ``ticking``: whether the business clock of that target
    runs at ``now`` (the browser counts down between refreshes only then).
    """

    status: str
    timer: str | None = None
    due_at: dt.datetime | None = None
    left_minutes: float | None = None
    ticking: bool = False


Cells = dict[tuple[int, int], Cell]


def load_cells(tickets: Sequence[Ticket]) -> Cells:
    """The SLA cells of the (level, priority) pairs of ``tickets``, compiled (three queries)."""
    pairs = {(t.level_id, t.priority_id) for t in tickets if t.sla_due_at is not None}
    if not pairs:
        return {}
    rows = list(
        SlaTarget.objects.filter(
            level_id__in={level for level, _ in pairs},
            priority_id__in={priority for _, priority in pairs},
        ).select_related("reaction_calendar", "resolution_calendar")
    )
    calendars: list[BusinessCalendar] = []
    for row in rows:
        calendars += [row.reaction_calendar, row.resolution_calendar]
    prefetch_related_objects(calendars, "hours", "overrides")
    return {
        (row.level_id, row.priority_id): Cell(
            minutes={REACTION: row.reaction_minutes, RESOLUTION: row.resolution_minutes},
            calendars={
                REACTION: clock.working_calendar(row.reaction_calendar),
                RESOLUTION: clock.working_calendar(row.resolution_calendar),
            },
        )
        for row in rows
    }


def glance(ticket: Ticket, *, cells: Cells, warning_percent: int, now: dt.datetime) -> Glance:
    """Where ``ticket`` stands at ``now`` (no query: ``cells`` from ``load_cells``)."""
    due = ticket.sla_due_at
    if ticket.state == TicketState.CLOSED:
        return Glance(CLOSED)
    if due is None:
        return Glance(PAUSED if ticket.state == TicketState.WAITING_FOR_CUSTOMER else MET)
    timer = (
        REACTION if ticket.reaction_met_at is None and ticket.reaction_due_at == due else RESOLUTION
    )
    cell = cells.get((ticket.level_id, ticket.priority_id))
    if cell is None:
        return Glance(BREACHED if due <= now else OK, timer, due)
    calendar = cell.calendars[timer]
    if due >= now:
        left = business_minutes_between(calendar, now, due)
    else:
        left = -business_minutes_between(calendar, due, now)
    if due <= now:
        status = BREACHED
    elif 0 < warning_percent < 100 and left <= cell.minutes[timer] * (100 - warning_percent) / 100:
        status = WARNING
    else:
        status = OK
    return Glance(status, timer, due, left, is_working_time(calendar, now))


def glances(tickets: Sequence[Ticket], *, now: dt.datetime) -> dict[int, Glance]:
    """``glance`` for each of ``tickets`` (their ``regulation`` joined), by ticket id."""
    cells = load_cells(tickets)
    return {
        t.pk: glance(t, cells=cells, warning_percent=t.regulation.warning_percent, now=now)
        for t in tickets
    }
