"""Hand-written cases: DST in Berlin, night windows, midnight, 24x7, overrides, API contracts."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from businesstime import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    end_of_nth_working_day_after,
    is_working_time,
    next_opening,
)

BER = ZoneInfo("Europe/Berlin")
WORKWEEK = {day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}


def berlin(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BER, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def night() -> WorkingCalendar:
    return WorkingCalendar(timezone="Europe/Berlin", weekly={d: [(0, 360)] for d in range(7)})


def full_day() -> WorkingCalendar:
    return WorkingCalendar(
        timezone="Europe/Berlin", weekly={d: [("00:00", "24:00")] for d in range(7)}
    )


def test_spring_forward_day_counts_real_minutes() -> None:
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: the 00:00-06:00 window holds 300 real minutes
    cal = night()
    assert business_minutes_between(cal, berlin(2026, 3, 29), berlin(2026, 3, 29, 6)) == 300
    assert add_business_minutes(cal, berlin(2026, 3, 29), 300) == utc(2026, 3, 29, 4)


def test_fall_back_day_counts_real_minutes() -> None:
    # 2026-10-25 03:00 CEST falls back to 02:00 CET: the repeated hour works twice
    cal = night()
    assert business_minutes_between(cal, berlin(2026, 10, 25), berlin(2026, 10, 25, 6)) == 420
    assert add_business_minutes(cal, berlin(2026, 10, 25), 420) == utc(2026, 10, 25, 5)


def test_interval_inside_the_repeated_hour_counts_both_passes() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly={6: [("02:00", "02:30")]})
    first = berlin(2026, 10, 25, 2, 0)
    assert business_minutes_between(cal, first, berlin(2026, 10, 25, 4)) == 60
    assert add_business_minutes(cal, first, 31) == utc(2026, 10, 25, 1, 1)


def test_interval_starting_inside_the_gap_opens_at_the_jump() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly={6: [("02:30", "04:00")]})
    assert next_opening(cal, berlin(2026, 3, 29)) == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert business_minutes_between(cal, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 60


def test_office_hours_across_both_changes() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    assert add_business_minutes(cal, berlin(2026, 3, 27, 16), 120) == utc(2026, 3, 30, 8)
    assert add_business_minutes(cal, berlin(2026, 10, 23, 16), 120) == utc(2026, 10, 26, 9)


def test_full_day_has_no_gap_at_midnight() -> None:
    cal = full_day()
    start = berlin(2025, 6, 10, 23, 30)
    assert add_business_minutes(cal, start, 60) == start + timedelta(hours=1)
    assert is_working_time(cal, berlin(2025, 6, 11, 0, 0))
    assert is_working_time(cal, berlin(2025, 6, 10, 23, 59))
    # a whole week is 7 * 24 h, and 24x7 across spring-forward is still real hours
    assert add_business_minutes(cal, start, 7 * 1440) == start + timedelta(days=7)
    assert add_business_minutes(cal, berlin(2026, 3, 28, 12), 1440) == utc(2026, 3, 29, 11)


def test_night_window_ending_at_midnight_continues_next_day() -> None:
    # "HH:MM" strings and minute numbers mixed in one calendar
    weekly: dict[int, list[tuple[str, str] | tuple[int, int]]] = {
        0: [("22:00", "24:00")],
        1: [(0, 120)],
    }
    cal = WorkingCalendar(timezone="Europe/Moscow", weekly=weekly)
    start = datetime(2025, 10, 13, 23, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # Monday
    assert add_business_minutes(cal, start, 120) == utc(2025, 10, 13, 22)  # Tue 01:00 MSK


def test_deadline_at_closing_time_is_closing_time() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    assert add_business_minutes(cal, berlin(2025, 6, 10, 9), 480) == berlin(2025, 6, 10, 17)
    assert not is_working_time(cal, berlin(2025, 6, 10, 17))


def test_split_shift() -> None:
    cal = WorkingCalendar(timezone="UTC", weekly={0: [("08:00", "12:00"), ("13:00", "17:00")]})
    start = utc(2025, 6, 9, 11)  # Monday
    assert add_business_minutes(cal, start, 120) == utc(2025, 6, 9, 14)
    assert next_opening(cal, utc(2025, 6, 9, 12, 30)) == utc(2025, 6, 9, 13)
    assert business_minutes_between(cal, utc(2025, 6, 9), utc(2025, 6, 10)) == 480


def test_overrides_day_off_extra_day_and_short_day() -> None:
    overrides: dict[date | str, list[tuple[str, str]]] = {
        date(2025, 6, 11): [],  # Wednesday off
        "2025-06-14": [("10:00", "12:00")],  # Saturday worked
        date(2025, 6, 16): [("09:00", "13:00")],  # Monday shortened
    }
    cal = WorkingCalendar(
        timezone="Europe/Berlin",
        weekly=WORKWEEK,
        overrides=overrides,
    )
    assert cal.day_intervals(date(2025, 6, 11)) == ()
    assert add_business_minutes(cal, berlin(2025, 6, 10, 16), 120) == berlin(2025, 6, 12, 10)
    assert add_business_minutes(cal, berlin(2025, 6, 13, 16), 120) == berlin(2025, 6, 14, 11)
    assert add_business_minutes(cal, berlin(2025, 6, 16, 12), 120) == berlin(2025, 6, 17, 10)
    assert end_of_nth_working_day_after(cal, berlin(2025, 6, 13, 12), 1) == berlin(2025, 6, 15)


def test_override_beats_holiday() -> None:
    cal = WorkingCalendar(
        timezone="Europe/Moscow",
        weekly={d: [("08:00", "20:00")] for d in range(5)},
        holiday_country="RU",
        overrides={date(2026, 1, 5): [("10:00", "12:00")]},
    )
    assert cal.day_intervals(date(2026, 1, 2)) == ()
    assert cal.day_intervals(date(2026, 1, 5)) == ((600, 720),)


def test_transferred_working_day_takes_hours_of_the_day_it_replaces() -> None:
    # RU 2025-11-01 (Saturday) is worked instead of Monday 2025-11-03
    cal = WorkingCalendar(
        timezone="Europe/Moscow",
        weekly={0: [("10:00", "19:00")], 1: [("08:00", "20:00")]},
        holiday_country="RU",
    )
    assert cal.day_intervals(date(2025, 11, 1)) == ((600, 1140),)
    assert cal.day_intervals(date(2025, 11, 3)) == ()
    explicit = WorkingCalendar(
        timezone="Europe/Moscow",
        weekly={0: [("10:00", "19:00")]},
        holiday_country="RU",
        transferred_working_day_hours=[("09:00", "13:00")],
    )
    assert explicit.day_intervals(date(2025, 11, 1)) == ((540, 780),)


def test_24x7_ignores_holidays() -> None:
    cal = WorkingCalendar.from_spec(
        {
            "timezone": "Europe/Moscow",
            "weekly": {
                d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            "holidays": None,
        }
    )
    assert cal.day_intervals(date(2026, 1, 1)) == ((0, 1440),)


def test_naive_datetimes_are_rejected() -> None:
    cal = full_day()
    naive = datetime(2025, 6, 10, 12)  # noqa: DTZ001 -- a naive instant is what is tested
    for call in (
        lambda: add_business_minutes(cal, naive, 10),
        lambda: add_business_minutes(cal, berlin(2025, 6, 10), 10, [(naive, None)]),
        lambda: business_minutes_between(cal, berlin(2025, 6, 10), naive),
        lambda: end_of_nth_working_day_after(cal, naive, 1),
        lambda: is_working_time(cal, naive),
        lambda: next_opening(cal, naive),
    ):
        with pytest.raises(ValueError, match="aware"):
            call()


def test_results_are_utc_whatever_the_input_offset() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    start = datetime(2025, 6, 10, 3, 0, tzinfo=timezone(timedelta(hours=-5)))  # 10:00 Berlin
    result = add_business_minutes(cal, start, 30)
    assert result == berlin(2025, 6, 10, 10, 30)
    assert result.tzinfo is UTC


def test_next_opening_and_is_working_time() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    assert next_opening(cal, berlin(2025, 6, 13, 18)) == berlin(2025, 6, 16, 9)  # Fri -> Mon
    assert next_opening(cal, berlin(2025, 6, 13, 10)) == berlin(2025, 6, 13, 10)
    assert is_working_time(cal, berlin(2025, 6, 13, 9))
    assert not is_working_time(cal, berlin(2025, 6, 14, 12))
    assert add_business_minutes(cal, berlin(2025, 6, 14, 12), 0) == berlin(2025, 6, 16, 9)


def test_fractional_minutes_and_far_dates() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    assert add_business_minutes(cal, berlin(2025, 6, 10, 9), 0.5) == berlin(2025, 6, 10, 9, 0, 30)
    # a target that needs the lazily extended window, then a date far back
    later = add_business_minutes(cal, berlin(2025, 6, 10, 9), 480 * 260 * 3)
    assert later is not None and later.year == 2028
    assert add_business_minutes(cal, berlin(1999, 6, 10, 9), 60) == berlin(1999, 6, 10, 10)


def test_pauses_credit_only_business_time() -> None:
    cal = WorkingCalendar(timezone="Europe/Berlin", weekly=WORKWEEK)
    start = berlin(2025, 6, 10, 9)
    night_pause = [(berlin(2025, 6, 10, 18), berlin(2025, 6, 11, 8))]
    assert add_business_minutes(cal, start, 600, night_pause) == berlin(2025, 6, 11, 11)
    overlapping = [
        (berlin(2025, 6, 10, 10), berlin(2025, 6, 10, 12)),
        (berlin(2025, 6, 10, 11), berlin(2025, 6, 10, 13)),
    ]
    assert add_business_minutes(cal, start, 120, overlapping) == berlin(2025, 6, 10, 14)
    assert business_minutes_between(cal, start, berlin(2025, 6, 10, 17), overlapping) == 300


def test_invalid_input() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(timezone="UTC", weekly={0: [("20:00", "08:00")]})
    with pytest.raises(ValueError):
        WorkingCalendar(timezone="UTC", weekly={0: [("08:00", "24:30")]})
    with pytest.raises(ValueError):
        add_business_minutes(full_day(), berlin(2025, 1, 1), -1)
    with pytest.raises(ValueError):
        end_of_nth_working_day_after(full_day(), berlin(2025, 1, 1), 0)
    empty = WorkingCalendar(timezone="UTC", weekly={})
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(empty, berlin(2025, 1, 1), 1)


def test_calendar_is_hashable_value() -> None:
    a = WorkingCalendar(timezone="UTC", weekly={"mon": [("08:00", "12:00")]})
    b = WorkingCalendar(timezone="UTC", weekly={0: [(480, 720)]})
    assert a == b and hash(a) == hash(b)


def test_calendar_pickles_without_its_cache() -> None:
    cal = WorkingCalendar(
        timezone="Europe/Moscow",
        weekly={"mon": [("08:00", "20:00")]},
        holiday_country="RU",
        transferred_working_day_hours=[("09:00", "18:00")],
        overrides={"2025-06-11": []},
    )
    start = datetime(2025, 6, 9, 10, tzinfo=UTC)
    expected = add_business_minutes(cal, start, 900)
    copy = pickle.loads(pickle.dumps(cal))
    assert copy == cal and hash(copy) == hash(cal)
    assert add_business_minutes(copy, start, 900) == expected
