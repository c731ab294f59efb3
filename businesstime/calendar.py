"""Business calendars and business-time arithmetic.

A calendar says, for every local date, which wall-clock intervals are working time. Business time
is the real elapsed time (UTC seconds) whose local wall clock falls inside those intervals, so a
night window 00:00-06:00 lasts 300 real minutes on a spring-forward day and 420 on a fall-back day.

Speed comes from an index built lazily per calendar and per range of years: every working interval
of the window as a UTC epoch-second range, plus prefix sums of working seconds. An instant maps to
its "business position" (working seconds since the window start) by one bisect, and a position maps
back to an instant by one bisect, so adding N minutes costs O(log intervals) whatever N is.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "WorkingCalendar",
    "add_business_minutes",
    "business_minutes_between",
    "end_of_nth_working_day_after",
    "is_working_time",
    "next_opening",
]

Interval = tuple[int, int]
"""Half-open wall-clock interval [start, end) in minutes after midnight, 0 <= s < e <= 1440."""
IntervalLike = Sequence[str | int | time]
"""("08:00", "20:00"), (480, 1200) or (time(8), "24:00")."""
# Mapping is invariant in its key type, so dict[str, ...] is not a Mapping[int | str, ...]:
# each key type is listed on its own.
WeeklyLike = (
    Mapping[int, Iterable[IntervalLike]]
    | Mapping[str, Iterable[IntervalLike]]
    | Mapping[int | str, Iterable[IntervalLike]]
    | Sequence[Iterable[IntervalLike]]
)
OverridesLike = (
    Mapping[date, Iterable[IntervalLike]]
    | Mapping[str, Iterable[IntervalLike]]
    | Mapping[date | str, Iterable[IntervalLike]]
    | Iterable[tuple[date | str, Iterable[IntervalLike]]]
)
Pause = tuple[datetime, datetime | None]

DAY_MINUTES = 1440
_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_MAX_SEARCH_YEARS = 50
_SUBSTITUTED = re.compile(r"\d{2}/\d{2}/\d{4}")


def parse_minute(value: str | int | time) -> int:
    """Minutes after midnight from "HH:MM", an int or a time; "24:00" is the end of the day."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time of day")
    if isinstance(value, int):
        minute = value
    elif isinstance(value, time):
        minute = value.hour * 60 + value.minute
    else:
        hours, sep, minutes = value.strip().partition(":")
        if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
            raise ValueError(f"not an HH:MM time: {value!r}")
        minute = int(hours) * 60 + int(minutes)
    if not 0 <= minute <= DAY_MINUTES:
        raise ValueError(f"time of day out of range 00:00-24:00: {value!r}")
    return minute


def normalize_intervals(intervals: Iterable[IntervalLike]) -> tuple[Interval, ...]:
    """Sorted, merged, non-empty (start, end) minute pairs; rejects reversed intervals."""
    parsed = []
    for item in intervals:
        start, end = (parse_minute(v) for v in item)
        if end < start:
            raise ValueError(f"interval ends before it starts: {item!r} (write midnight as 24:00)")
        if end > start:
            parsed.append((start, end))
    merged: list[Interval] = []
    for start, end in sorted(parsed):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class _HolidayYear:
    days_off: frozenset[date]
    # weekend day made working -> weekday of the day off it was swapped with (None if unknown)
    workdays: Mapping[date, int | None]


@lru_cache(maxsize=512)
def _holiday_year(country: str, subdivision: str | None, year: int) -> _HolidayYear:
    """Days off and transferred working days of one year, from the `holidays` package.

    English labels are requested so the "substituted from MM/DD/YYYY" label of a day off tells
    which weekday a transferred working day replaces (the pair may straddle New Year).
    """
    hol = holidays.country_holidays(
        country, subdiv=subdivision, years=(year - 1, year, year + 1), language="en_US"
    )
    days_off = frozenset(d for d in hol if d.year == year)
    replaced: dict[date, int] = {}
    for day_off, name in hol.items():
        for token in _SUBSTITUTED.findall(name):
            month, day, yr = (int(x) for x in token.split("/"))
            replaced[date(yr, month, day)] = day_off.weekday()
    workdays = {
        d: replaced.get(d)
        for d in getattr(hol, "weekend_workdays", ())
        if d.year == year and d not in days_off
    }
    return _HolidayYear(days_off, workdays)


@dataclass(frozen=True, init=False)
class WorkingCalendar:
    """An immutable business calendar.

    `weekly` maps a weekday (0=Mon..6=Sun, or "mon".."sun") to wall-clock intervals such as
    [("08:00", "20:00")] or [(0, 360), (1320, 1440)]; missing days are days off. With a
    `holiday_country` the country's public holidays are days off and its transferred working days
    (weekend days made working) use `transferred_working_day_hours`, by default the hours of the
    weekday they replace, else Monday's. `overrides` maps a local date to its exact intervals (an
    empty sequence makes a day off) and wins over everything else. The constructor takes these
    loose shapes; every field then holds the normalized, hashable value its annotation names.
    """

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]  # 7 entries, Mon..Sun
    holiday_country: str | None
    holiday_subdivision: str | None
    transferred_working_day_hours: tuple[Interval, ...] | None
    overrides: tuple[tuple[date, tuple[Interval, ...]], ...]  # sorted by date
    _state: _State = field(init=False, repr=False, compare=False, hash=False)

    def __init__(
        self,
        timezone: str,
        weekly: WeeklyLike,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        transferred_working_day_hours: Iterable[IntervalLike] | None = None,
        overrides: OverridesLike = (),
    ) -> None:
        zone = ZoneInfo(timezone)
        items: Iterable[tuple[int | str, Iterable[IntervalLike]]] = (
            weekly.items() if isinstance(weekly, Mapping) else enumerate(weekly)
        )
        normalized_weekly: list[tuple[Interval, ...]] = [()] * 7
        for key, intervals in items:
            weekday = _WEEKDAYS[key.lower()[:3]] if isinstance(key, str) else int(key)
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday out of range: {key!r}")
            normalized_weekly[weekday] = normalize_intervals(intervals)
        pairs: Iterable[tuple[date | str, Iterable[IntervalLike]]] = (
            overrides.items() if isinstance(overrides, Mapping) else overrides
        )
        normalized_overrides = tuple(
            sorted(
                (day if isinstance(day, date) else date.fromisoformat(day), normalize_intervals(iv))
                for day, iv in pairs
            )
        )
        # frozen: assign through object.__setattr__, as the generated __init__ would
        object.__setattr__(self, "timezone", timezone)
        object.__setattr__(self, "weekly", tuple(normalized_weekly))
        object.__setattr__(self, "holiday_country", holiday_country)
        object.__setattr__(self, "holiday_subdivision", holiday_subdivision)
        object.__setattr__(
            self,
            "transferred_working_day_hours",
            None
            if transferred_working_day_hours is None
            else normalize_intervals(transferred_working_day_hours),
        )
        object.__setattr__(self, "overrides", normalized_overrides)
        object.__setattr__(self, "_state", _State(self, zone))

    def __reduce__(self) -> tuple[type[WorkingCalendar], tuple[Any, ...]]:
        """Pickle the definition only; the index cache (and its lock) is rebuilt on demand."""
        return (
            WorkingCalendar,
            (
                self.timezone,
                self.weekly,
                self.holiday_country,
                self.holiday_subdivision,
                self.transferred_working_day_hours,
                self.overrides,
            ),
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> WorkingCalendar:
        """Build from the JSON shape used by sla_vectors.json (plus optional "overrides")."""
        hol = spec.get("holidays") or {}
        return cls(
            timezone=spec["timezone"],
            weekly=spec.get("weekly", {}),
            holiday_country=hol.get("country"),
            holiday_subdivision=hol.get("subdivision"),
            transferred_working_day_hours=spec.get("transferred_working_day_hours"),
            overrides=spec.get("overrides", {}),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's timezone as a ZoneInfo (for showing results in local time)."""
        return self._state.zone

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """Wall-clock working intervals of a local date, after holidays and overrides."""
        override = self._state.overrides.get(day)
        if override is not None:
            return override
        if self.holiday_country:
            year = _holiday_year(self.holiday_country, self.holiday_subdivision, day.year)
            if day in year.days_off:
                return ()
            if day in year.workdays:
                if self.transferred_working_day_hours is not None:
                    return self.transferred_working_day_hours
                replaced = year.workdays[day]
                if replaced is not None and self.weekly[replaced]:
                    return self.weekly[replaced]
                return self.weekly[0]
        return self.weekly[day.weekday()]


class _Index:
    """Working intervals of local years y0..y1 as sorted UTC seconds with prefix sums."""

    __slots__ = (
        "cum_end",
        "cum_start",
        "ends",
        "hi",
        "lo",
        "segments",
        "starts",
        "work_days",
        "y0",
        "y1",
    )

    def __init__(self, cal: WorkingCalendar, zone: ZoneInfo, y0: int, y1: int) -> None:
        self.y0, self.y1 = y0, y1
        first, last = date(y0, 1, 1).toordinal(), date(y1, 12, 31).toordinal()
        # Instants whose local date is surely inside the window (offsets are far below 2 days).
        self.lo = (first - _EPOCH_ORDINAL + 2) * _DAY
        self.hi = (last - _EPOCH_ORDINAL - 1) * _DAY
        self.segments = _offset_segments(
            zone, (first - _EPOCH_ORDINAL - 2) * _DAY, (last - _EPOCH_ORDINAL + 3) * _DAY
        )
        raw: list[tuple[int, int]] = []
        work_days: list[int] = []
        for ordinal in range(first, last + 1):
            intervals = cal.day_intervals(date.fromordinal(ordinal))
            if not intervals:
                continue
            work_days.append(ordinal)
            midnight = (ordinal - _EPOCH_ORDINAL) * _DAY
            for start, end in intervals:
                raw.extend(self.wall_to_utc(midnight + start * 60, midnight + end * 60))
        raw.sort()
        starts: list[int] = []
        ends: list[int] = []
        for start, end in raw:
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        cum_start, cum_end, total = [], [], 0
        for start, end in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += end - start
            cum_end.append(total)
        self.starts, self.ends, self.cum_start, self.cum_end = starts, ends, cum_start, cum_end
        self.work_days = work_days

    def wall_to_utc(self, wall_start: int, wall_end: int) -> list[tuple[int, int]]:
        """UTC ranges whose local wall clock (as naive epoch seconds) is in [wall_start, wall_end).

        Exact across DST: a range that crosses a gap shrinks, one that crosses a fold may yield two
        pieces (the repeated wall time is working both times).
        """
        seg = self.segments
        i = max(bisect_right(seg, (wall_start - _DAY,)) - 1, 0)
        out = []
        while i < len(seg) and seg[i][0] < wall_end + _DAY:
            seg_start, offset = seg[i]
            seg_end = seg[i + 1][0] if i + 1 < len(seg) else float("inf")
            start = max(wall_start - offset, seg_start)
            end = min(wall_end - offset, seg_end)
            if start < end:
                out.append((start, int(end)))
            i += 1
        return out

    def pos(self, t: float) -> float:
        """Working seconds from the window start up to instant t."""
        k = bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        return self.cum_start[k] + min(t, self.ends[k]) - self.starts[k]


def _offset_at(zone: ZoneInfo, t: int) -> int:
    offset = datetime.fromtimestamp(t, zone).utcoffset()
    assert offset is not None  # an aware datetime always has one
    return int(offset.total_seconds())


def _offset_segments(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int]]:
    """(first UTC second, UTC offset) of each constant-offset stretch of [lo, hi).

    zoneinfo does not expose its transitions, so probe daily and bisect each change to the second
    (real zones never change offset twice within a day).
    """
    segments = [(lo, _offset_at(zone, lo))]
    t = lo
    while t < hi:
        nxt = t + _DAY
        offset = _offset_at(zone, nxt)
        if offset != segments[-1][1]:
            a, b = t, nxt  # offset(a) is the old one, offset(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(zone, mid) == offset:
                    b = mid
                else:
                    a = mid
            segments.append((b, offset))
        t = nxt
    return segments


class _State:
    """Per-calendar mutable cache; swapped atomically so readers never see a half-built index."""

    def __init__(self, cal: WorkingCalendar, zone: ZoneInfo) -> None:
        self.cal = cal
        self.zone = zone
        self.overrides = dict(cal.overrides)
        self.index: _Index | None = None
        self.lock = threading.Lock()

    def covering(self, t: float) -> _Index:
        """An index whose window safely contains instant t."""
        idx = self.index
        if idx is not None and idx.lo <= t <= idx.hi:
            return idx
        y0 = datetime.fromtimestamp(t - 3 * _DAY, UTC).year
        y1 = datetime.fromtimestamp(t + 3 * _DAY, UTC).year
        if idx is None:
            return self.build(y0, y1)
        return self.build(min(idx.y0, y0), max(idx.y1, y1))

    def build(self, y0: int, y1: int) -> _Index:
        with self.lock:
            idx = self.index
            if idx is not None and idx.y0 == y0 and idx.y1 >= y1:
                return idx
            idx = _Index(self.cal, self.zone, y0, y1)
            self.index = idx
            return idx

    def grow(self, idx: _Index) -> _Index:
        """The same window start with more years, so positions stay comparable."""
        if idx.y1 - idx.y0 > _MAX_SEARCH_YEARS:
            raise ValueError(f"calendar has no working time within {_MAX_SEARCH_YEARS} years")
        return self.build(idx.y0, idx.y1 + max(1, (idx.y1 - idx.y0) // 2))

    def ensure(self, idx: _Index, t: float) -> _Index:
        while t > idx.hi:
            idx = self.grow(idx)
        return idx


def _timestamp(instant: datetime, name: str = "instant") -> float:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {instant!r}")
    return instant.timestamp()


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _merged_pauses(
    pauses: Iterable[Pause], start: float, end: float = float("inf")
) -> list[tuple[float, float | None]]:
    """Pauses clipped to [start, end), sorted and merged; None marks a pause still open."""
    clipped: list[tuple[float, float]] = []
    for pause_start, pause_end in pauses:
        a = max(_timestamp(pause_start, "pause start"), start)
        b = end if pause_end is None else min(_timestamp(pause_end, "pause end"), end)
        if a < b:
            clipped.append((a, b))
    clipped.sort()
    merged: list[tuple[float, float]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return [(a, None if b == float("inf") else b) for a, b in merged]


def _locate(state: _State, idx: _Index, target: float) -> tuple[_Index, float]:
    """Earliest instant whose position reaches target (a deadline ending a day lands at close)."""
    while True:
        k = bisect_left(idx.cum_end, target)
        if k < len(idx.cum_end):
            return idx, idx.starts[k] + (target - idx.cum_start[k])
        idx = state.grow(idx)


def add_business_minutes(
    cal: WorkingCalendar,
    start: datetime,
    minutes: float,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """The instant when `minutes` of business time have run from `start`, in UTC.

    The clock starts at the next opening if `start` is outside working time and stops during
    pauses (only their overlap with working time matters). Returns None when a pause that is still
    open (end None) begins before the deadline is reached: there is no deadline while paused.
    With minutes == 0 the result is next_opening(start).
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    t = _timestamp(start, "start")
    state = cal._state
    idx = state.index
    if idx is None or not idx.lo <= t <= idx.hi:
        idx = state.covering(t)
    if minutes == 0:
        return next_opening(cal, start)
    target = idx.pos(t) + minutes * 60
    if pauses:
        for a, b in _merged_pauses(pauses, t):
            idx, deadline = _locate(state, idx, target)
            if deadline <= a:
                return _utc(deadline)
            if b is None:
                return None
            idx = state.ensure(idx, b)
            target += idx.pos(b) - idx.pos(a)
    # inline fast path of _locate
    k = bisect_left(idx.cum_end, target)
    if k < len(idx.cum_end):
        return _utc(idx.starts[k] + (target - idx.cum_start[k]))
    return _utc(_locate(state, idx, target)[1])


def business_minutes_between(
    cal: WorkingCalendar,
    start: datetime,
    end: datetime,
    pauses: Iterable[Pause] = (),
) -> float:
    """Business minutes elapsed from `start` to `end`, minus the business time spent in pauses.

    An open pause (end None) runs to `end`, so this is also "how much of the target is consumed
    so far" for a running or paused SLA clock. Returns 0 when end <= start.
    """
    a, b = _timestamp(start, "start"), _timestamp(end, "end")
    if b <= a:
        return 0.0
    state = cal._state
    idx = state.ensure(state.covering(a), b)
    total = idx.pos(b) - idx.pos(a)
    for pause_start, pause_end in _merged_pauses(pauses, a, b):
        total -= idx.pos(b if pause_end is None else pause_end) - idx.pos(pause_start)
    return total / 60


def is_working_time(cal: WorkingCalendar, instant: datetime) -> bool:
    """Whether the calendar is open at this instant (intervals are half-open: closing is closed)."""
    t = _timestamp(instant)
    idx = cal._state.covering(t)
    k = bisect_right(idx.starts, t) - 1
    return k >= 0 and t < idx.ends[k]


def next_opening(cal: WorkingCalendar, instant: datetime) -> datetime:
    """The instant itself (in UTC) if working, else the start of the next working interval."""
    t = _timestamp(instant)
    state = cal._state
    idx = state.covering(t)
    while True:
        k = bisect_right(idx.starts, t) - 1
        if k >= 0 and t < idx.ends[k]:
            return _utc(t)
        if k + 1 < len(idx.starts):
            return _utc(idx.starts[k + 1])
        idx = state.grow(idx)


def end_of_nth_working_day_after(cal: WorkingCalendar, event: datetime, n: int) -> datetime:
    """Local midnight ending the n-th working date strictly after the event's local date, in UTC.

    A working date is a local date with any working interval. Used for "confirm within 1 working
    day" and "close after 10 working days without an answer".
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    t = _timestamp(event, "event")
    state = cal._state
    idx = state.covering(t)
    day = datetime.fromtimestamp(t, state.zone).date().toordinal()
    while True:
        k = bisect_right(idx.work_days, day) + n - 1
        if k < len(idx.work_days):
            break
        idx = state.grow(idx)
    midnight = (idx.work_days[k] + 1 - _EPOCH_ORDINAL) * _DAY
    # first instant whose wall clock reaches that midnight (a gap at midnight moves it later)
    candidates = idx.wall_to_utc(midnight, midnight + _DAY)
    return _utc(min(start for start, _ in candidates))
