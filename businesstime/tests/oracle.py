"""Naive reference implementation, for tests only.

Walks UTC minute by minute and asks, for each minute, whether its local wall clock lies inside the
intervals of its local date. Slow and obviously right; the fast index must agree with it. Day rules
(holidays, transfers, overrides) are re-derived here from the `holidays` package, not borrowed.
Instants must be whole minutes and minute counts whole numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import holidays

from businesstime.calendar import Interval, WorkingCalendar

MINUTE = 60
LIMIT = 3 * 366 * 1440  # give up after three years of minutes


class Oracle:
    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal
        self.zone = cal.zone
        self.overrides = dict(cal.overrides)
        self.days: dict[date, tuple[Interval, ...]] = {}
        self.holidays: dict[int, holidays.HolidayBase] = {}

    def day(self, d: date) -> tuple[Interval, ...]:
        if d not in self.days:
            self.days[d] = self._day(d)
        return self.days[d]

    def _day(self, d: date) -> tuple[Interval, ...]:
        cal = self.cal
        if d in self.overrides:
            return self.overrides[d]
        if cal.holiday_country:
            if d.year not in self.holidays:
                self.holidays[d.year] = holidays.country_holidays(
                    cal.holiday_country, subdiv=cal.holiday_subdivision, years=d.year
                )
            hol = self.holidays[d.year]
            if d in hol:
                return ()
            if d in hol.weekend_workdays:
                # the replaced weekday comes from the calendar; only the hours choice is shared
                return cal.day_intervals(d)
        return cal.weekly[d.weekday()]

    def working(self, t: int) -> bool:
        local = datetime.fromtimestamp(t, self.zone)
        minute = local.hour * 60 + local.minute
        return any(s <= minute < e for s, e in self.day(local.date()))

    def add(
        self, start: datetime, minutes: int, pauses: Sequence[tuple[datetime, datetime | None]] = ()
    ) -> datetime | None:
        t = _ts(start)
        spans = [(_ts(a), None if b is None else _ts(b)) for a, b in pauses]
        if minutes == 0:
            while not self.working(t):
                t += MINUTE
            return _utc(t)
        remaining = minutes
        for _ in range(LIMIT):
            paused = False
            for a, b in spans:
                if a <= t and (b is None or t < b):
                    if b is None:
                        return None
                    paused = True
            if not paused and self.working(t):
                remaining -= 1
                if remaining == 0:
                    return _utc(t + MINUTE)
            t += MINUTE
        raise AssertionError("oracle gave up")

    def between(
        self,
        start: datetime,
        end: datetime,
        pauses: Sequence[tuple[datetime, datetime | None]] = (),
    ) -> int:
        spans = [(_ts(a), float("inf") if b is None else _ts(b)) for a, b in pauses]
        return sum(
            1
            for t in range(_ts(start), _ts(end), MINUTE)
            if self.working(t) and not any(a <= t < b for a, b in spans)
        )

    def end_of_nth_working_day_after(self, event: datetime, n: int) -> datetime:
        d = event.astimezone(self.zone).date()
        while n:
            d += timedelta(days=1)
            if self.day(d):
                n -= 1
        wall = datetime.combine(d + timedelta(days=1), datetime.min.time())
        # no zone is 16 h ahead of UTC, so no earlier instant shows that wall time yet
        t = int(wall.replace(tzinfo=UTC).timestamp()) - 16 * 3600
        while datetime.fromtimestamp(t, self.zone).replace(tzinfo=None) < wall:
            t += MINUTE
        return _utc(t)


def _ts(instant: datetime) -> int:
    t = instant.timestamp()
    assert t % MINUTE == 0, "oracle works on whole minutes"
    return int(t)


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)
