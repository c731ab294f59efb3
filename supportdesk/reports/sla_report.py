"""The monthly SLA report of one contract, in its regulation's calendar.

Each ticket registered in the month (month boundaries in the regulation calendar's time zone)
with its reaction and resolution targets, the business time it took, its pauses, and whether it
met each target or by how many business minutes it missed it. Nothing here re-implements the SLA:
the timers are those of ``sla.clock`` / ``sla.timers``, computed from the timeline as of ``now``,
so a report agrees with the ticket page and the sweep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from businesstime.calendar import business_minutes_between
from supportdesk.contracts.models import Contract
from supportdesk.sla import clock, timers
from supportdesk.tickets.models import Ticket

MET = "met"
BREACHED = "breached"
RUNNING = "running"
# Stopped without being met: closed (withdrawn, merged, not entitled) before a response or a
# proposed solution. Neither met nor breached, so outside the compliance percentages.
NOT_MEASURED = "not_measured"


def status_label(status: str) -> str:
    return {
        MET: _("met"),
        BREACHED: _("breached"),
        RUNNING: _("running"),
        NOT_MEASURED: _("not measured"),
    }[status]


@dataclass(frozen=True)
class TargetResult:
    """One target of one ticket: minutes are business minutes of the target's calendar."""

    target_minutes: int
    taken_minutes: int
    status: str  # met, breached (late or overdue), running (not yet due), not_measured
    late_minutes: int  # 0 unless breached

    @property
    def label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class ReportRow:
    ticket: Ticket
    reaction: TargetResult | None
    resolution: TargetResult | None
    pauses: int  # times the resolution clock waited for the customer
    paused_minutes: int  # business minutes of those waits

    @property
    def results(self) -> tuple[TargetResult | None, TargetResult | None]:
        return self.reaction, self.resolution


@dataclass
class Totals:
    tickets: int = 0
    reaction_met: int = 0
    reaction_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    paused_minutes: int = 0

    @staticmethod
    def _percent(met: int, breached: int) -> float | None:
        decided = met + breached
        return round(100 * met / decided, 1) if decided else None

    @property
    def reaction_percent(self) -> float | None:
        return self._percent(self.reaction_met, self.reaction_breached)

    @property
    def resolution_percent(self) -> float | None:
        return self._percent(self.resolution_met, self.resolution_breached)


@dataclass
class SlaReport:
    contract: Contract
    month: dt.date  # the first day
    zone: ZoneInfo
    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    rows: list[ReportRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def month_bounds(month: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[first instant, first instant of the next month) of ``month`` in ``zone``, in UTC."""
    first = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _result(timer: timers.TimerState | None, now: dt.datetime) -> TargetResult | None:
    if timer is None:
        return None
    taken = int(timer.consumed_minutes)
    ended = timer.met_at or now
    if timer.due_at is not None and timer.due_at <= ended:
        status, late = BREACHED, max(int(-timer.remaining_minutes), 0)
    elif timer.phase == "stopped":
        status, late = (MET if timer.met_at is not None else NOT_MEASURED), 0
    else:
        status, late = RUNNING, 0
    return TargetResult(timer.target_minutes, taken, status, late)


def _waits(timer: timers.TimerState | None, now: dt.datetime) -> tuple[int, int]:
    """Stretches the resolution clock stood still and then ran again (waits for the customer),
    and their business minutes; the final stop (a proposed solution, closure) is not a wait."""
    if timer is None:
        return 0, 0
    waits = [(start, end) for start, end in timer.pauses if end is not None]
    if timer.phase == "paused":
        waits += [(start, now) for start, end in timer.pauses if end is None]
    minutes = sum(business_minutes_between(timer.calendar, start, end) for start, end in waits)
    return len(waits), int(minutes)


def sla_report(
    *, contract: Contract, month: dt.date, now: dt.datetime, visible: QuerySet[Ticket]
) -> SlaReport:
    """The report of ``contract`` for ``month`` as of ``now``, over the tickets in ``visible``
    (``access.visible_tickets`` of the reader). A fixed number of queries, whatever the size."""
    calendar = clock.working_calendar(contract.regulation.calendar)
    zone = calendar.zone
    start, end = month_bounds(month, zone)
    report = SlaReport(contract, month.replace(day=1), zone, start, end, now)
    tickets = list(
        visible.filter(contract=contract, registered_at__gte=start, registered_at__lt=end)
        .select_related("priority")
        .order_by("registered_at", "id")
    )
    context = clock.load_context(tickets)
    steps = clock.load_steps(t.pk for t in tickets)
    totals = report.totals
    for ticket in tickets:
        ticket_clock = clock.ticket_clock(
            ticket, context=context, steps=steps.get(ticket.pk, []), now=now
        )
        reaction = _result(ticket_clock.reaction, now)
        resolution = _result(ticket_clock.resolution, now)
        pauses, paused = _waits(ticket_clock.resolution, now)
        report.rows.append(ReportRow(ticket, reaction, resolution, pauses, paused))
        totals.tickets += 1
        totals.paused_minutes += paused
        for name, result in (("reaction", reaction), ("resolution", resolution)):
            if result is not None and result.status in (MET, BREACHED):
                attribute = f"{name}_{result.status}"
                setattr(totals, attribute, getattr(totals, attribute) + 1)
    return report
