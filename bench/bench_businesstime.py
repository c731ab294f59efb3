"""Benchmark: business-time deadlines per second, fast index vs the minute-stepping oracle.

Run: python bench/bench_businesstime.py   (about 30 s)
Workload: 5-working-day targets (3600 business minutes on a Moscow 08:00-20:00 calendar with
Russian holidays and transferred working days), random whole-minute starts in 2025-2026.
"""

from __future__ import annotations

import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from businesstime import WorkingCalendar, add_business_minutes
from businesstime.tests.oracle import Oracle

MINUTES = 3600
FAST_CALLS = 200_000
ORACLE_SECONDS = 15.0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    cal = WorkingCalendar(
        timezone="Europe/Moscow",
        weekly={day: [("08:00", "20:00")] for day in range(5)},
        holiday_country="RU",
        transferred_working_day_hours=[("08:00", "20:00")],
    )
    rng = random.Random(20251014)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [first + timedelta(minutes=rng.randrange(2 * 365 * 1440)) for _ in range(10_000)]

    add_business_minutes(cal, starts[0], MINUTES)  # warm the calendar's index
    calls = [starts[i % len(starts)] for i in range(FAST_CALLS)]
    t0 = time.perf_counter()
    for start in calls:
        add_business_minutes(cal, start, MINUTES)
    fast_rate = FAST_CALLS / (time.perf_counter() - t0)

    oracle = Oracle(cal)
    oracle.add(starts[0], MINUTES)  # warm its holiday cache too
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < ORACLE_SECONDS:
        start = starts[done % len(starts)]
        assert oracle.add(start, MINUTES) == add_business_minutes(cal, start, MINUTES)
        done += 1
    oracle_rate = done / (time.perf_counter() - t0)

    print(f"machine : {platform.platform()}")
    print(f"cpu     : {cpu_model()}")
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    print(f"workload: add_business_minutes({MINUTES} min) on MSK 08-20 + RU holidays, warm")
    print()
    print(f"{'implementation':<16}{'calls':>10}{'deadlines/s':>16}")
    print(f"{'fast (index)':<16}{FAST_CALLS:>10}{fast_rate:>16,.0f}")
    print(f"{'oracle (minute)':<16}{done:>10}{oracle_rate:>16,.1f}")
    print(f"{'ratio':<16}{'':>10}{fast_rate / oracle_rate:>15,.0f}x")


if __name__ == "__main__":
    main()
