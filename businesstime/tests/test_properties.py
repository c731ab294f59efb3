"""Property tests: the fast index agrees with the minute-stepping oracle on random calendars.

How many calendars each test draws comes from the Hypothesis profile (registered in the root
conftest.py: ``ci`` by default, ``HYPOTHESIS_PROFILE=thorough`` for a long run). Drawing a calendar
and building its index cost more than asking it a question, so every calendar is asked several
questions (``QUERIES``); the later ones also exercise the index being rebuilt over a wider window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from businesstime import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    end_of_nth_working_day_after,
    next_opening,
)
from businesstime.tests.oracle import Oracle

ZONES = [
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "Asia/Almaty",  # moved from +06 to +05 at midnight on 2024-03-01
    "Australia/Lord_Howe",  # 30-minute DST
    "UTC",
]
HOLIDAYS = [None, None, ("RU", None), ("DE", "BE"), ("KZ", None), ("US", "NY")]
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
MINUTES_2024_2027 = 4 * 365 * 1440

# Determinism, deadline and the number of examples come from the profile; only this is ours.
COMMON = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
# Questions asked of each drawn calendar: more where one question is cheap next to the calendar.
QUERIES = 3
CHEAP_QUERIES = 6


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[int, int]]:
    """0-3 intervals on a 15-minute grid, often touching 00:00 or 24:00."""
    kind = draw(st.sampled_from(["off", "office", "split", "night", "full", "random"]))
    if kind == "off":
        return []
    if kind == "office":
        start = draw(st.integers(6, 10)) * 60
        return [(start, start + draw(st.integers(4, 12)) * 60)]
    if kind == "split":
        return [(480, 720), (780, 1020)]
    if kind == "night":
        return [(0, draw(st.integers(1, 24)) * 15), (draw(st.integers(80, 95)) * 15, 1440)]
    if kind == "full":
        return [(0, 1440)]
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
    return [(a * 15, b * 15) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    weekly = {d: draw(day_intervals()) for d in range(7)}
    assume(any(weekly.values()))
    hol = draw(st.sampled_from(HOLIDAYS))
    overrides = {
        FIRST.date() + timedelta(days=draw(st.integers(0, 4 * 365))): draw(day_intervals())
        for _ in range(draw(st.integers(0, 3)))
    }
    return WorkingCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holiday_country=hol and hol[0],
        holiday_subdivision=hol and hol[1],
        transferred_working_day_hours=draw(st.none() | day_intervals()),
        overrides=overrides,
    )


def daily_minutes(cal: WorkingCalendar) -> int:
    """Average working minutes of a working weekday: the size of one "working day"."""
    days = [sum(e - s for s, e in iv) for iv in cal.weekly if iv]
    return max(1, sum(days) // len(days))


# UTC offset changes in the zones above, so that many cases straddle one
CHANGES = [
    date(2024, 3, 1),
    date(2024, 3, 10),
    date(2024, 3, 31),
    date(2024, 4, 7),
    date(2024, 10, 6),
    date(2024, 10, 27),
    date(2024, 11, 3),
    date(2025, 3, 9),
    date(2025, 3, 30),
    date(2025, 10, 26),
    date(2025, 11, 2),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2027, 3, 14),
    date(2027, 11, 7),
]
instants = st.integers(0, MINUTES_2024_2027).map(
    lambda m: FIRST + timedelta(minutes=m)
) | st.tuples(st.sampled_from(CHANGES), st.integers(-4 * 1440, 2 * 1440)).map(
    lambda dm: datetime.combine(dm[0], datetime.min.time(), UTC) + timedelta(minutes=dm[1])
)


@st.composite
def pauses_after(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime | None]]:
    result: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-600, 6 * 1440)))
        if draw(st.integers(0, 5)) == 0:
            result.append((begin, None))
        else:
            result.append((begin, begin + timedelta(minutes=draw(st.integers(0, 2 * 1440)))))
    return result


def close_after(oracle: Oracle, instant: datetime) -> datetime | None:
    """The end of the working stretch going on just before ``instant`` (a deadline: the minute
    before it is working), by the oracle's minute steps; None past two days of working time."""
    t = int(instant.timestamp())
    for _ in range(2 * 1440):
        if not oracle.working(t):
            return datetime.fromtimestamp(t, UTC)
        t += 60
    return None


@settings(COMMON)
@given(data=st.data(), cal=calendars())
def test_add_matches_oracle(data: st.DataObject, cal: WorkingCalendar) -> None:
    oracle = Oracle(cal)
    for _ in range(QUERIES):
        start = data.draw(instants, label="start")
        minutes = data.draw(st.integers(0, 5 * daily_minutes(cal)), label="minutes")
        pauses = data.draw(pauses_after(start), label="pauses")
        assert add_business_minutes(cal, start, minutes, pauses) == oracle.add(
            start, minutes, pauses
        )


@settings(COMMON)
@given(data=st.data(), cal=calendars())
def test_between_matches_oracle(data: st.DataObject, cal: WorkingCalendar) -> None:
    oracle = Oracle(cal)
    for _ in range(QUERIES):
        start = data.draw(instants, label="start")
        end = start + timedelta(minutes=data.draw(st.integers(-60, 4 * 1440), label="span"))
        pauses = data.draw(pauses_after(start), label="pauses")
        assert business_minutes_between(cal, start, end, pauses) == oracle.between(
            start, end, pauses
        )


@settings(COMMON)
@given(data=st.data(), cal=calendars())
def test_working_days_match_oracle(data: st.DataObject, cal: WorkingCalendar) -> None:
    oracle = Oracle(cal)
    for _ in range(QUERIES):
        event = data.draw(instants, label="event")
        n = data.draw(st.integers(1, 12), label="n")
        assert end_of_nth_working_day_after(cal, event, n) == oracle.end_of_nth_working_day_after(
            event, n
        )
        opening = next_opening(cal, event)
        assert oracle.working(int(opening.timestamp()))
        assert opening == oracle.add(event, 0)


@settings(COMMON)
@given(data=st.data(), cal=calendars())
def test_add_then_between_round_trips(data: st.DataObject, cal: WorkingCalendar) -> None:
    oracle = Oracle(cal)
    for _ in range(CHEAP_QUERIES):
        start = data.draw(instants, label="start")
        minutes = data.draw(st.integers(1, 20 * daily_minutes(cal)), label="minutes")
        pauses = [p for p in data.draw(pauses_after(start), label="pauses") if p[1] is not None]
        deadline = add_business_minutes(cal, start, minutes, pauses)
        assert deadline is not None
        assert business_minutes_between(cal, start, deadline, pauses) == minutes
        # and the deadline is the earliest such instant
        before = deadline - timedelta(seconds=1)
        assert business_minutes_between(cal, start, before, pauses) < minutes
        # a pause that begins once the target is reached changes nothing, even an open one
        assert add_business_minutes(cal, start, minutes, [*pauses, (deadline, None)]) == deadline
        # The same at the close of the interval the deadline falls in: a target used up exactly
        # there lands at the close, not at the next opening. A random count rarely ends exactly
        # on a close, so each question asks it once more at one.
        close = close_after(oracle, deadline)
        if close is not None:
            to_close = business_minutes_between(cal, start, close)
            assert add_business_minutes(cal, start, to_close) == close
            assert add_business_minutes(cal, start, to_close, [(close, None)]) == close


@settings(COMMON)
@given(data=st.data(), cal=calendars())
def test_monotone_in_minutes_and_start(data: st.DataObject, cal: WorkingCalendar) -> None:
    for _ in range(CHEAP_QUERIES):
        start = data.draw(instants, label="start")
        a, b = sorted(data.draw(st.lists(st.integers(0, 10 * 1440), min_size=2, max_size=2)))
        later = start + timedelta(minutes=data.draw(st.integers(0, 3 * 1440), label="shift"))
        at_a = add_business_minutes(cal, start, a)
        at_b = add_business_minutes(cal, start, b)
        later_a = add_business_minutes(cal, later, a)
        assert at_a is not None and at_b is not None and later_a is not None
        assert at_a <= at_b
        assert at_a <= later_a


def test_dates_cover_the_year_range() -> None:
    assert FIRST.date() == date(2024, 1, 1)
    assert (FIRST + timedelta(minutes=MINUTES_2024_2027)).year == 2027
