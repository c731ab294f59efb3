"""Property tests: the fast index agrees with the minute-stepping oracle on random calendars."""

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

COMMON = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


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


@settings(COMMON, max_examples=1000)
@given(data=st.data(), cal=calendars(), start=instants)
def test_add_matches_oracle(data: st.DataObject, cal: WorkingCalendar, start: datetime) -> None:
    minutes = data.draw(st.integers(0, 5 * daily_minutes(cal)), label="minutes")
    pauses = data.draw(pauses_after(start), label="pauses")
    assert add_business_minutes(cal, start, minutes, pauses) == Oracle(cal).add(
        start, minutes, pauses
    )


@settings(COMMON, max_examples=400)
@given(data=st.data(), cal=calendars(), start=instants)
def test_between_matches_oracle(data: st.DataObject, cal: WorkingCalendar, start: datetime) -> None:
    end = start + timedelta(minutes=data.draw(st.integers(-60, 4 * 1440), label="span"))
    pauses = data.draw(pauses_after(start), label="pauses")
    assert business_minutes_between(cal, start, end, pauses) == Oracle(cal).between(
        start, end, pauses
    )


@settings(COMMON, max_examples=250)
@given(cal=calendars(), event=instants, n=st.integers(1, 12))
def test_working_days_match_oracle(cal: WorkingCalendar, event: datetime, n: int) -> None:
    oracle = Oracle(cal)
    assert end_of_nth_working_day_after(cal, event, n) == oracle.end_of_nth_working_day_after(
        event, n
    )
    opening = next_opening(cal, event)
    assert oracle.working(int(opening.timestamp()))
    assert opening == oracle.add(event, 0)


@settings(COMMON, max_examples=800)
@given(data=st.data(), cal=calendars(), start=instants)
def test_add_then_between_round_trips(
    data: st.DataObject, cal: WorkingCalendar, start: datetime
) -> None:
    minutes = data.draw(st.integers(1, 20 * daily_minutes(cal)), label="minutes")
    pauses = [p for p in data.draw(pauses_after(start), label="pauses") if p[1] is not None]
    deadline = add_business_minutes(cal, start, minutes, pauses)
    assert deadline is not None
    assert business_minutes_between(cal, start, deadline, pauses) == minutes
    # and the deadline is the earliest such instant
    assert business_minutes_between(cal, start, deadline - timedelta(seconds=1), pauses) < minutes
    # a pause that begins once the target is reached changes nothing, even an open one
    assert add_business_minutes(cal, start, minutes, [*pauses, (deadline, None)]) == deadline


@settings(COMMON, max_examples=800)
@given(data=st.data(), cal=calendars(), start=instants)
def test_monotone_in_minutes_and_start(
    data: st.DataObject, cal: WorkingCalendar, start: datetime
) -> None:
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
