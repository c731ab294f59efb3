"""A ticket's SLA timers and regulation deadlines as a pure function of its timeline.

No database access here: ``clock.py`` turns rows into ``Step``/``Targets``/``Rules`` and this
module answers, for an instant ``now``, where every timer stands and what is due next. Deadlines
are always recomputed from the registration with the ticket's current targets minus the pauses
read from the state changes, so a priority change or a pause can never leave a stale deadline
behind (PITFALLS "Time").

- Reaction: runs from registration until the first public response of support (a reply, a
  diagnostics request or a proposed solution); stopped while the ticket is closed.
- Resolution: runs while the ticket is registered or in progress; paused while it waits for the
  customer; stopped (met) while a solution is proposed and at closure; a refusal or a reopen runs
  it again from the business time already consumed.
- Silence: while the ticket awaits the customer (waiting for customer, solution proposed), N
  calendar days (wall clock of the regulation's calendar) or the end of the N-th working day after
  the step that awaits the customer or the customer's last reply; then closure for no response.
- Confirmation: N working days after the solution is proposed, at the next opening, a reminder;
  with the "close" action, closure as confirmed N working days after the reminder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from businesstime.calendar import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    end_of_nth_working_day_after,
    next_opening,
)

REGISTERED = "registered"
IN_PROGRESS = "in_progress"
WAITING = "waiting_for_customer"
SOLUTION_PROPOSED = "solution_proposed"
CLOSED = "closed"
RUNNING_STATES = frozenset({REGISTERED, IN_PROGRESS})
AWAITING_CUSTOMER = frozenset({WAITING, SOLUTION_PROPOSED})

# Timeline kinds (values of TicketEvent.Kind) the clock reads.
STATE_CHANGED = "state_changed"
RESPONSE_KINDS = frozenset({"public_reply", "diagnostics_requested", "solution_proposed"})
CUSTOMER_REPLY = "customer_reply"
PRIORITY_KINDS = frozenset({"priority_changed", "priority_overridden"})
DEADLINES_CHANGED = "deadlines_changed"
CONFIRMATION_REMINDER = "confirmation_reminder"
CLOCK_KINDS = frozenset(
    {
        STATE_CHANGED,
        CUSTOMER_REPLY,
        DEADLINES_CHANGED,
        CONFIRMATION_REMINDER,
        *RESPONSE_KINDS,
        *PRIORITY_KINDS,
    }
)

REACTION = "reaction"
RESOLUTION = "resolution"
CONFIRMATION = "confirmation"
SILENCE = "silence"
WARNING = "warning"
BREACH = "breach"
REMINDER = "reminder"
CLOSURE = "closure"

Pause = tuple[dt.datetime, dt.datetime | None]


@dataclass(frozen=True)
class Step:
    """One timeline event, reduced to what the clock reads."""

    kind: str
    at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    minutes: int
    calendar: WorkingCalendar


@dataclass(frozen=True)
class Targets:
    """The SLA cell for the ticket's level and priority."""

    reaction: Target
    resolution: Target


@dataclass(frozen=True)
class Rules:
    """The regulation's own deadlines; ``calendar`` counts their working days."""

    calendar: WorkingCalendar
    warning_percent: int = 80
    silence_days: int = 0
    silence_in_working_days: bool = False
    confirmation_working_days: int = 0
    confirmation_closes: bool = False


@dataclass(frozen=True)
class TimerState:
    """Where one SLA timer stands at ``now``.

    ``phase``: running, paused (waiting for the customer) or stopped (met, or the ticket closed).
    ``due_at`` is the instant the target is (or was) reached; None while paused or stopped before
    reaching it. ``warn_at`` likewise for the warning threshold.
    """

    name: str
    target_minutes: int
    calendar: WorkingCalendar
    phase: str
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    met_at: dt.datetime | None
    consumed_minutes: float
    pauses: tuple[Pause, ...]

    @property
    def remaining_minutes(self) -> float:
        """Business minutes left (negative when overdue)."""
        return self.target_minutes - self.consumed_minutes

    @property
    def key(self) -> str:
        return f"t{self.target_minutes}"

    def status(self, now: dt.datetime) -> str:
        """ok, warning, breached, paused or met."""
        if self.due_at is not None and self.due_at <= now:
            return "breached"
        if self.phase == "stopped":
            return "met"
        if self.phase == "paused":
            return "paused"
        if self.warn_at is not None and self.warn_at <= now:
            return "warning"
        return "ok"


@dataclass(frozen=True)
class Deadline:
    """A regulation deadline: ``timer`` confirmation or silence, ``kind`` reminder or closure."""

    timer: str
    kind: str
    anchor: dt.datetime
    due_at: dt.datetime

    @property
    def key(self) -> str:
        return self.anchor.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


@dataclass(frozen=True)
class Check:
    """Something the sweep must do at ``due_at`` unless it already happened."""

    timer: str
    kind: str
    key: str
    due_at: dt.datetime


@dataclass(frozen=True)
class TicketClock:
    state: str
    reaction: TimerState | None
    resolution: TimerState | None
    deadlines: tuple[Deadline, ...]
    # The priority code the deadlines were last computed for, when a priority change has not yet
    # been recorded as "deadlines_changed"; None otherwise.
    unrecorded_priority_from: str | None

    @property
    def timers(self) -> tuple[TimerState, ...]:
        return tuple(t for t in (self.reaction, self.resolution) if t is not None)

    def columns(self) -> dict[str, dt.datetime | None]:
        """The deadline columns stored on the ticket (the sweep's and queue's indexes read them)."""
        reaction_due = (
            self.reaction.due_at if self.reaction and self.reaction.phase == "running" else None
        )
        resolution_due = (
            self.resolution.due_at
            if self.resolution and self.resolution.phase == "running"
            else None
        )
        pending = [d for d in (reaction_due, resolution_due) if d is not None]
        return {
            "reaction_due_at": reaction_due,
            "reaction_met_at": self.reaction.met_at if self.reaction else None,
            "resolution_due_at": resolution_due,
            "resolution_met_at": self.resolution.met_at if self.resolution else None,
            "sla_due_at": min(pending) if pending else None,
        }

    def pending_checks(
        self, fired: Iterable[tuple[str, str, str]], now: dt.datetime
    ) -> list[Check]:
        """Every threshold still to act on, earliest first; those with ``due_at <= now`` are due.

        ``fired`` holds (timer, kind, key) of what already happened. A warning is dropped when the
        breach is due too (one message, not two), and when the timer stopped before the sweep saw
        it (a warning about a met target is noise). A breach is kept even then: a target met late
        is still a breach for the reports.
        """
        done = set(fired)
        checks: list[Check] = []
        for timer in self.timers:
            breach_done = (timer.name, BREACH, timer.key) in done
            if timer.due_at is not None and not breach_done:
                checks.append(Check(timer.name, BREACH, timer.key, timer.due_at))
            if (
                timer.warn_at is not None
                and timer.phase != "stopped"
                and not breach_done
                and (timer.name, WARNING, timer.key) not in done
                and not (timer.due_at is not None and timer.due_at <= now)
            ):
                checks.append(Check(timer.name, WARNING, timer.key, timer.warn_at))
        for deadline in self.deadlines:
            if (deadline.timer, deadline.kind, deadline.key) not in done:
                checks.append(Check(deadline.timer, deadline.kind, deadline.key, deadline.due_at))
        checks.sort(key=lambda c: (c.due_at, c.timer, c.kind))
        return checks


@dataclass
class _Walk:
    """What the clock reads off the timeline up to ``now``."""

    state: str
    entered_at: dt.datetime
    first_response: dt.datetime | None = None
    # Stretches [start, end) while closed (the reaction stops) and outside RUNNING_STATES (the
    # resolution stops); an open stretch ends with None.
    closed: list[list[dt.datetime | None]] = field(default_factory=list)
    stopped: list[list[dt.datetime | None]] = field(default_factory=list)
    proposed_at: dt.datetime | None = None
    last_customer_reply: dt.datetime | None = None
    last_reminder: dt.datetime | None = None
    unrecorded_from: str | None = None

    def change_state(self, to: str, at: dt.datetime) -> None:
        if to == CLOSED:
            self.closed.append([at, None])
        elif self.state == CLOSED and self.closed:
            self.closed[-1][1] = at
        if self.state in RUNNING_STATES and to not in RUNNING_STATES:
            self.stopped.append([at, None])
        elif self.state not in RUNNING_STATES and to in RUNNING_STATES and self.stopped:
            self.stopped[-1][1] = at
        if to == SOLUTION_PROPOSED:
            self.proposed_at = at
        elif to != CLOSED:
            self.proposed_at = None
        self.state, self.entered_at = to, at
        self.last_reminder = None


def _walk(registered_at: dt.datetime, steps: Sequence[Step], now: dt.datetime) -> _Walk:
    walk = _Walk(state=REGISTERED, entered_at=registered_at)
    for step in steps:
        if step.at > now:
            break
        if step.kind == STATE_CHANGED:
            to = step.data.get("to", walk.state)
            if to != walk.state:
                walk.change_state(to, step.at)
        elif step.kind in RESPONSE_KINDS:
            if walk.first_response is None:
                walk.first_response = step.at
        elif step.kind == CUSTOMER_REPLY:
            walk.last_customer_reply = step.at
        elif step.kind == CONFIRMATION_REMINDER:
            walk.last_reminder = step.at
        elif step.kind in PRIORITY_KINDS:
            if walk.unrecorded_from is None:
                walk.unrecorded_from = step.data.get("from")
        elif step.kind == DEADLINES_CHANGED:
            walk.unrecorded_from = None
    return walk


def _stretches(stretches: list[list[dt.datetime | None]]) -> list[Pause]:
    # Every stretch has its start (it is appended as [at, None]).
    return [(start, end) for start, end in stretches if start is not None]


def compute_clock(
    *,
    registered_at: dt.datetime,
    steps: Sequence[Step],
    targets: Targets | None,
    rules: Rules | None,
    now: dt.datetime,
) -> TicketClock:
    """Where the ticket's timers stand at ``now``. ``steps`` in timeline order."""
    walk = _walk(registered_at, steps, now)
    reaction = resolution = None
    if targets is not None:
        percent = rules.warning_percent if rules else 80
        reaction_pauses = _stretches(walk.closed)
        if walk.first_response is not None:
            reaction_pauses.append((walk.first_response, None))
        reaction = _timer(
            REACTION,
            targets.reaction,
            registered_at,
            reaction_pauses,
            phase="stopped"
            if walk.first_response is not None or walk.state == CLOSED
            else "running",
            met_at=walk.first_response,
            percent=percent,
            now=now,
        )
        if walk.state in RUNNING_STATES:
            phase = "running"
        elif walk.state == WAITING:
            phase = "paused"
        else:
            phase = "stopped"
        resolution = _timer(
            RESOLUTION,
            targets.resolution,
            registered_at,
            _stretches(walk.stopped),
            phase=phase,
            met_at=walk.proposed_at if walk.state in (SOLUTION_PROPOSED, CLOSED) else None,
            percent=percent,
            now=now,
        )
    return TicketClock(
        state=walk.state,
        reaction=reaction,
        resolution=resolution,
        deadlines=tuple(_deadlines(walk, rules)) if rules is not None else (),
        unrecorded_priority_from=walk.unrecorded_from,
    )


def _deadlines(walk: _Walk, rules: Rules) -> list[Deadline]:
    """The regulation's own deadlines while the ticket awaits the customer."""
    if walk.state not in AWAITING_CUSTOMER:
        return []
    deadlines: list[Deadline] = []
    anchor = max(walk.entered_at, walk.last_customer_reply or walk.entered_at)
    if rules.silence_days > 0:
        if rules.silence_in_working_days:
            due = end_of_nth_working_day_after(rules.calendar, anchor, rules.silence_days)
        else:
            local = anchor.astimezone(rules.calendar.zone)
            due = (local + dt.timedelta(days=rules.silence_days)).astimezone(dt.UTC)
        deadlines.append(Deadline(SILENCE, CLOSURE, anchor, due))
    if walk.state == SOLUTION_PROPOSED and rules.confirmation_working_days > 0:
        n = rules.confirmation_working_days
        period_end = end_of_nth_working_day_after(rules.calendar, walk.entered_at, n)
        # Remind at the next opening, not at the midnight that ends the period.
        remind_at = next_opening(rules.calendar, period_end)
        deadlines.append(Deadline(CONFIRMATION, REMINDER, walk.entered_at, remind_at))
        if rules.confirmation_closes and walk.last_reminder is not None:
            close_at = end_of_nth_working_day_after(rules.calendar, walk.last_reminder, n)
            deadlines.append(Deadline(CONFIRMATION, CLOSURE, walk.entered_at, close_at))
    return deadlines


def _timer(
    name: str,
    target: Target,
    start: dt.datetime,
    pauses: list[Pause],
    *,
    phase: str,
    met_at: dt.datetime | None,
    percent: int,
    now: dt.datetime,
) -> TimerState:
    cal = target.calendar
    due = add_business_minutes(cal, start, target.minutes, pauses)
    warn = None
    if 0 < percent < 100:
        warn = add_business_minutes(cal, start, target.minutes * percent / 100, pauses)
    return TimerState(
        name=name,
        target_minutes=target.minutes,
        calendar=cal,
        phase=phase,
        due_at=due,
        warn_at=warn,
        met_at=met_at,
        consumed_minutes=business_minutes_between(cal, start, now, pauses),
        pauses=tuple(pauses),
    )
