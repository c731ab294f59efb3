"""Every case of the shared SLA test vectors (/work/shared/sla_vectors.json) must pass."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from businesstime import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    end_of_nth_working_day_after,
)

VECTORS = Path(
    os.environ.get("SUPPORTDESK_SLA_VECTORS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "sla_vectors.json"
)


def _load() -> dict[str, Any]:
    try:
        return json.loads(VECTORS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


DATA = _load()
CASES = {case["id"]: case for case in DATA.get("cases", [])}
CALENDARS = {
    name: WorkingCalendar.from_spec(spec) for name, spec in DATA.get("calendars", {}).items()
}


def test_vectors_file_present() -> None:
    assert DATA, (
        f"SLA vectors not found at {VECTORS}; set SUPPORTDESK_SLA_VECTORS to the "
        "sla_vectors.json path"
    )
    assert len(CASES) >= 40


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _at_or_none(value: str | None) -> datetime | None:
    return None if value is None else _at(value)


@pytest.mark.parametrize("case_id", sorted(CASES) or ["<vectors missing>"])
def test_vector(case_id: str) -> None:
    assert case_id in CASES, f"SLA vectors not found at {VECTORS}"
    case = CASES[case_id]
    cal = CALENDARS[case["calendar"]]
    op = case["op"]
    if op == "add_business_minutes":
        start = _at(case["start"])
        # a pause always begins; an open one has no end yet
        pauses = [(_at(a), _at_or_none(b)) for a, b in case["pauses"]]
        got = add_business_minutes(cal, start, case["minutes"], pauses)
        assert got == _at_or_none(case["expected"]), case["description"]
        if got is not None:
            assert got.utcoffset() == timedelta(0)
            assert got.astimezone(cal.zone).isoformat() == case["expected_local"]
        if "expected_consumed_minutes" in case:
            # the clock is frozen by the open pause: any later "now" gives the same figure
            now = max(p[0] for p in pauses) + timedelta(days=3)
            consumed = business_minutes_between(cal, start, now, pauses)
            assert consumed == case["expected_consumed_minutes"]
    elif op == "business_minutes_between":
        minutes = business_minutes_between(cal, _at(case["start"]), _at(case["end"]))
        assert minutes == case["expected_minutes"], case["description"]
    elif op == "end_of_nth_working_day_after":
        end = end_of_nth_working_day_after(cal, _at(case["event"]), case["working_days"])
        assert end == _at(case["expected"]), case["description"]
        assert end.astimezone(cal.zone).isoformat() == case["expected_local"]
    else:
        pytest.fail(f"unknown op {op!r} in case {case_id}")
