"""Every case of the SLA test vectors must pass.

The vectors live beside this file (``sla_vectors.json``), so a clone on its own runs them all. They
are a copy of the team's shared file (``shared/sla_vectors.json`` beside the checkout): when that
file is there, the copy must equal it (update the copy with ``cp``), so neither drifts unseen.
"""

from __future__ import annotations

import json
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

VECTORS = Path(__file__).with_name("sla_vectors.json")
# The checkout's parent directory, e.g. /work for /work/main: present on the team's machines only.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "sla_vectors.json"

DATA: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
CASES = {case["id"]: case for case in DATA["cases"]}
CALENDARS = {name: WorkingCalendar.from_spec(spec) for name, spec in DATA["calendars"].items()}


def test_vectors_file_is_complete() -> None:
    assert len(CASES) == len(DATA["cases"]) >= 40, "case ids must be unique"
    assert {case["calendar"] for case in CASES.values()} <= CALENDARS.keys()


def differences(copy: dict[str, Any], shared: dict[str, Any]) -> list[str]:
    """What differs between two vector files: top-level keys, then case by case."""
    found = [f"key {key!r}" for key in sorted(copy.keys() ^ shared.keys())]
    found += [
        f"key {key!r}"
        for key in sorted(copy.keys() & shared.keys())
        if key != "cases" and copy[key] != shared[key]
    ]
    ours = {case["id"]: case for case in copy.get("cases", [])}
    theirs = {case["id"]: case for case in shared.get("cases", [])}
    found += [
        f"case {case_id}"
        for case_id in sorted(ours.keys() | theirs.keys())
        if ours.get(case_id) != theirs.get(case_id)
    ]
    return found


def test_copy_equals_the_shared_vectors_when_they_are_beside_the_checkout() -> None:
    if not SHARED.is_file():
        # A clone on its own: the copy is the only vectors file, and test_vector runs it whole.
        return
    shared = json.loads(SHARED.read_text(encoding="utf-8"))
    changed = differences(DATA, shared)
    assert not changed, (
        f"{VECTORS} differs from {SHARED} in: {', '.join(changed)}; "
        f"copy the shared file over it (cp {SHARED} {VECTORS})"
    )


def test_differences_names_what_changed() -> None:
    """The comparison above can fail: an edited case, a removed one and an edited calendar."""
    shared = json.loads(json.dumps(DATA))
    assert differences(DATA, shared) == []
    first, second = shared["cases"][0], shared["cases"][1]
    first["description"] += " (edited)"
    shared["cases"].remove(second)
    shared["calendars"][first["calendar"]]["timezone"] = "UTC"
    assert differences(DATA, shared) == [
        "key 'calendars'",
        f"case {first['id']}",
        f"case {second['id']}",
    ]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _at_or_none(value: str | None) -> datetime | None:
    return None if value is None else _at(value)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_vector(case_id: str) -> None:
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
