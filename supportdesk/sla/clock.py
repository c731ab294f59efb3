"""Regulation rows → businesstime values, and the ticket rows the timers read.

``load_context`` gives, for any number of tickets, their regulations' rules, SLA cells and
calendars: each regulation's part is compiled once per ``rules_version`` and kept per process
(``regulation_context``), so a batch of the sweep or a registration pays at most the one query for
the regulation rows. Compiled ``WorkingCalendar`` objects are kept in a process-wide cache keyed
by the calendar's id and its content: an edited calendar gets a new entry, an unchanged one keeps
its lazily built index (the expensive part) across batches, requests and tasks.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from businesstime.calendar import WorkingCalendar
from supportdesk.regulations.models import BusinessCalendar, Regulation, SlaTarget
from supportdesk.sla import timers
from supportdesk.sla.models import SlaFiring
from supportdesk.tickets.models import Ticket, TicketEvent

_CACHE_LIMIT = 256
_calendars: dict[tuple[int, str], WorkingCalendar] = {}
_lock = threading.Lock()


def working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The compiled calendar (cached per id and version, the version being its content)."""
    spec = calendar.to_spec()
    key = (calendar.pk, json.dumps(spec, sort_keys=True))
    compiled = _calendars.get(key)
    if compiled is None:
        compiled = WorkingCalendar.from_spec(spec)
        with _lock:
            if len(_calendars) >= _CACHE_LIMIT:
                _calendars.clear()
            compiled = _calendars.setdefault(key, compiled)
    return compiled


@dataclass
class Context:
    """The rules and SLA cells for a set of tickets."""

    rules: dict[int, timers.Rules] = field(default_factory=dict)  # by regulation id
    # level id → priority id → targets; level id → priority code → priority id
    matrix: dict[int, dict[int, timers.Targets]] = field(default_factory=dict)
    priority_ids: dict[int, dict[str, int]] = field(default_factory=dict)
    regulations: dict[int, Regulation] = field(default_factory=dict)

    def merge(self, other: Context) -> None:
        """Add another regulation's rules and cells (levels belong to one regulation)."""
        self.rules.update(other.rules)
        self.matrix.update(other.matrix)
        self.priority_ids.update(other.priority_ids)
        self.regulations.update(other.regulations)

    def targets(self, ticket: Ticket, priority_code: str | None = None) -> timers.Targets | None:
        cells = self.matrix.get(ticket.level_id, {})
        if priority_code is None:
            return cells.get(ticket.priority_id)
        priority_id = self.priority_ids.get(ticket.level_id, {}).get(priority_code)
        return cells.get(priority_id) if priority_id is not None else None


def load_context(tickets: Sequence[Ticket]) -> Context:
    """Regulations, SLA cells and calendars for ``tickets``: at most one query (the regulation
    rows, unless the tickets carry them), the rest from the per-version cache."""
    context = Context()
    if not tickets:
        return context
    regulations: dict[int, Regulation] = {}
    missing: set[int] = set()
    for ticket in tickets:
        if "regulation" in ticket._state.fields_cache:
            regulations[ticket.regulation_id] = ticket.regulation
        else:
            missing.add(ticket.regulation_id)
    missing -= regulations.keys()
    if missing:
        regulations.update((r.pk, r) for r in Regulation.objects.filter(pk__in=missing))
    for regulation in regulations.values():
        context.merge(regulation_context(regulation))
    return context


_CONTEXT_LIMIT = 512
_contexts: dict[int, Context] = {}
_versions: dict[int, str] = {}


def regulation_context(regulation: Regulation) -> Context:
    """The rules and the whole SLA matrix of one regulation, cached per process and keyed by
    its ``rules_version`` (which every edit of the regulation, its cells or a calendar bumps:
    see ``regulations.rules``)."""
    cached = _contexts.get(regulation.pk)
    if cached is not None and _versions.get(regulation.pk) == regulation.rules_version:
        return cached
    context = _compile_context(regulation)
    with _lock:
        if len(_contexts) >= _CONTEXT_LIMIT:
            _contexts.clear()
            _versions.clear()
        _contexts[regulation.pk] = context
        _versions[regulation.pk] = regulation.rules_version
    return context


def _compile_context(regulation: Regulation) -> Context:
    context = Context()
    cells = list(SlaTarget.objects.filter(regulation=regulation).select_related("priority"))
    calendar_ids = {regulation.calendar_id}
    for cell in cells:
        calendar_ids |= {cell.reaction_calendar_id, cell.resolution_calendar_id}
    calendars = {
        c.pk: working_calendar(c)
        for c in BusinessCalendar.objects.filter(pk__in=calendar_ids).prefetch_related(
            "hours", "overrides"
        )
    }
    context.regulations[regulation.pk] = regulation
    context.rules[regulation.pk] = timers.Rules(
        calendar=calendars[regulation.calendar_id],
        warning_percent=regulation.warning_percent,
        silence_days=regulation.silence_days,
        silence_in_working_days=regulation.silence_day_count == Regulation.DayCount.WORKING,
        confirmation_working_days=regulation.confirmation_working_days,
        confirmation_closes=(regulation.confirmation_action == Regulation.ConfirmationAction.CLOSE),
    )
    for cell in cells:
        context.matrix.setdefault(cell.level_id, {})[cell.priority_id] = timers.Targets(
            reaction=timers.Target(cell.reaction_minutes, calendars[cell.reaction_calendar_id]),
            resolution=timers.Target(
                cell.resolution_minutes, calendars[cell.resolution_calendar_id]
            ),
        )
        context.priority_ids.setdefault(cell.level_id, {})[cell.priority.code] = cell.priority_id
    return context


def load_steps(ticket_ids: Iterable[int]) -> dict[int, list[timers.Step]]:
    """The timeline events the clock reads, per ticket, in timeline order (one query)."""
    steps: dict[int, list[timers.Step]] = defaultdict(list)
    rows = (
        TicketEvent.objects.filter(ticket_id__in=list(ticket_ids), kind__in=timers.CLOCK_KINDS)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "created_at", "data")
    )
    for ticket_id, kind, created_at, data in rows:
        steps[ticket_id].append(timers.Step(kind, created_at, data or {}))
    return steps


def load_fired(ticket_ids: Iterable[int]) -> dict[int, set[tuple[str, str, str]]]:
    """(timer, kind, key) of every firing, per ticket (one query)."""
    fired: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    rows = SlaFiring.objects.filter(ticket_id__in=list(ticket_ids)).values_list(
        "ticket_id", "timer", "kind", "key"
    )
    for ticket_id, timer, kind, key in rows:
        fired[ticket_id].add((timer, kind, key))
    return fired


def ticket_clock(
    ticket: Ticket,
    *,
    context: Context,
    steps: Sequence[timers.Step],
    now: dt.datetime,
    priority_code: str | None = None,
) -> timers.TicketClock:
    """The clock of ``ticket`` (optionally as if it had ``priority_code``)."""
    return timers.compute_clock(
        registered_at=ticket.registered_at,
        steps=steps,
        targets=context.targets(ticket, priority_code),
        rules=context.rules.get(ticket.regulation_id),
        now=now,
    )
