"""timers.py: the clock as a pure function of the timeline (no database)."""

from __future__ import annotations

import datetime as dt

from businesstime.calendar import WorkingCalendar
from supportdesk.sla import timers
from supportdesk.sla.tests.helpers import msk, utc
from supportdesk.sla.timers import Rules, Step, Target, Targets, TimerState, compute_clock

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
MSK_DAY = WorkingCalendar.from_spec(
    {"timezone": "Europe/Moscow", "weekly": WEEKDAYS, "holidays": {"country": "RU"}}
)
MSK_247 = WorkingCalendar.from_spec(
    {
        "timezone": "Europe/Moscow",
        "weekly": {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "holidays": None,
    }
)
# The matrix of sla_vectors.json used by V21-V23.
P1 = Targets(Target(30, MSK_247), Target(240, MSK_247))
P2 = Targets(Target(60, MSK_DAY), Target(480, MSK_DAY))
P3 = Targets(Target(240, MSK_DAY), Target(1440, MSK_DAY))
ESSENTIAL_P4 = Targets(Target(720, MSK_DAY), Target(10080, MSK_DAY))
RULES = Rules(calendar=MSK_DAY, warning_percent=80, silence_days=5)


def must(timer: TimerState | None) -> TimerState:
    """The timer, which these tests' targets always give."""
    assert timer is not None
    return timer


def state(at: dt.datetime, frm: str, to: str) -> Step:
    return Step("state_changed", at, {"from": frm, "to": to})


def test_essential_p4_registered_friday_evening():
    registered = msk(2026, 11, 20, 19)  # Friday, one business hour left
    clock = compute_clock(
        registered_at=registered, steps=[], targets=ESSENTIAL_P4, rules=RULES, now=registered
    )
    # Reaction 720: 60 on Friday, 660 on Monday from 08:00.
    assert must(clock.reaction).due_at == utc(2026, 11, 23, 16)  # Mon 19:00 MSK
    assert must(clock.reaction).warn_at == utc(2026, 11, 23, 13, 36)  # 576 min: Mon 16:36 MSK
    # Resolution 10080 = 60 + 13 full days + 660: Thu 10 Dec 19:00 MSK.
    assert must(clock.resolution).due_at == utc(2026, 12, 10, 16)
    assert must(clock.resolution).warn_at == utc(
        2026, 12, 8, 6, 24
    )  # 8064 min: Tue 8 Dec 09:24 MSK
    assert clock.columns() == {
        "reaction_due_at": utc(2026, 11, 23, 16),
        "reaction_met_at": None,
        "resolution_due_at": utc(2026, 12, 10, 16),
        "resolution_met_at": None,
        "sla_due_at": utc(2026, 11, 23, 16),
    }
    assert [(c.timer, c.kind, c.due_at) for c in clock.pending_checks(set(), registered)] == [
        ("reaction", "warning", utc(2026, 11, 23, 13, 36)),
        ("reaction", "breach", utc(2026, 11, 23, 16)),
        ("resolution", "warning", utc(2026, 12, 8, 6, 24)),
        ("resolution", "breach", utc(2026, 12, 10, 16)),
    ]
    # Over the weekend nothing is consumed.
    sunday = compute_clock(
        registered_at=registered,
        steps=[],
        targets=ESSENTIAL_P4,
        rules=RULES,
        now=msk(2026, 11, 22, 12),
    )
    assert must(sunday.reaction).consumed_minutes == 60
    assert must(sunday.reaction).status(msk(2026, 11, 22, 12)) == "ok"


def test_first_public_response_meets_reaction():
    registered = msk(2026, 11, 23, 9)
    steps = [
        state(msk(2026, 11, 23, 9, 10), "registered", "in_progress"),
        Step("internal_note", msk(2026, 11, 23, 9, 15)),  # not read by the clock
        Step("public_reply", msk(2026, 11, 23, 9, 20)),
    ]
    now = msk(2026, 11, 23, 12)
    clock = compute_clock(registered_at=registered, steps=steps, targets=P3, rules=RULES, now=now)
    assert must(clock.reaction).phase == "stopped"
    assert must(clock.reaction).met_at == msk(2026, 11, 23, 9, 20)
    assert must(clock.reaction).due_at is None  # met before the deadline
    assert must(clock.reaction).consumed_minutes == 20
    assert must(clock.reaction).status(now) == "met"
    assert clock.columns()["reaction_due_at"] is None
    assert [c.timer for c in clock.pending_checks(set(), now)] == ["resolution", "resolution"]


def test_late_response_is_a_breach_even_when_met():
    registered = msk(2026, 11, 23, 9)
    steps = [Step("public_reply", msk(2026, 11, 23, 10, 30))]
    now = msk(2026, 11, 23, 11)
    clock = compute_clock(registered_at=registered, steps=steps, targets=P2, rules=RULES, now=now)
    assert must(clock.reaction).due_at == msk(2026, 11, 23, 10)
    assert must(clock.reaction).status(now) == "breached"
    assert must(clock.reaction).remaining_minutes == -30
    checks = clock.pending_checks(set(), now)
    assert [(c.timer, c.kind) for c in checks if c.due_at <= now] == [("reaction", "breach")]


def test_pause_while_waiting_shifts_resolution_by_paused_business_time():
    registered = msk(2026, 11, 23, 9)  # Monday
    waiting = [
        state(msk(2026, 11, 23, 9, 30), "registered", "in_progress"),
        state(msk(2026, 11, 23, 10), "in_progress", "waiting_for_customer"),
    ]
    during = compute_clock(
        registered_at=registered,
        steps=waiting,
        targets=P3,
        rules=RULES,
        now=msk(2026, 11, 24, 9),
    )
    assert must(during.resolution).phase == "paused"
    assert must(during.resolution).due_at is None
    assert must(during.resolution).consumed_minutes == 60
    assert must(during.resolution).status(msk(2026, 11, 24, 9)) == "paused"
    assert during.columns()["resolution_due_at"] is None

    resumed = [*waiting, state(msk(2026, 11, 24, 12), "waiting_for_customer", "in_progress")]
    after = compute_clock(
        registered_at=registered,
        steps=resumed,
        targets=P3,
        rules=RULES,
        now=msk(2026, 11, 24, 12),
    )
    # Without the pause: Wed 25 Nov 09:00. Paused Mon 10-20 (600) + Tue 08-12 (240) = 840 more.
    unpaused = compute_clock(
        registered_at=registered, steps=[], targets=P3, rules=RULES, now=registered
    )
    assert must(unpaused.resolution).due_at == msk(2026, 11, 25, 9)
    assert must(after.resolution).due_at == msk(
        2026, 11, 26, 11
    )  # Wed 09-20 (660) + Thu 08-11 (180)
    assert must(after.resolution).consumed_minutes == 60


def test_proposed_solution_stops_and_refusal_resumes_resolution():
    registered = msk(2026, 11, 23, 9)
    proposed = msk(2026, 11, 23, 11)
    steps = [
        state(msk(2026, 11, 23, 9, 30), "registered", "in_progress"),
        Step("solution_proposed", proposed),
        state(proposed, "in_progress", "solution_proposed"),
    ]
    clock = compute_clock(
        registered_at=registered, steps=steps, targets=P3, rules=RULES, now=msk(2026, 11, 23, 15)
    )
    assert must(clock.resolution).phase == "stopped"
    assert must(clock.resolution).met_at == proposed
    assert must(clock.resolution).status(msk(2026, 11, 23, 15)) == "met"
    assert clock.columns()["resolution_met_at"] == proposed
    assert clock.columns()["resolution_due_at"] is None

    refused = [*steps, state(msk(2026, 11, 24, 10), "solution_proposed", "in_progress")]
    again = compute_clock(
        registered_at=registered,
        steps=refused,
        targets=P3,
        rules=RULES,
        now=msk(2026, 11, 24, 10),
    )
    # 120 consumed before the proposal; stopped Mon 11-20 (540) + Tue 08-10 (120).
    assert must(again.resolution).phase == "running"
    assert must(again.resolution).met_at is None
    assert must(again.resolution).consumed_minutes == 120
    assert must(again.resolution).due_at == msk(2026, 11, 25, 9) + dt.timedelta(minutes=660)


def test_priority_change_recomputes_from_registration_minus_pauses():
    """V22 and V23: the new target counts from registration; the pause stays credited."""
    registered = msk(2025, 10, 20, 9)
    steps = [
        state(msk(2025, 10, 20, 9, 5), "registered", "in_progress"),
        state(msk(2025, 10, 20, 10), "in_progress", "waiting_for_customer"),
        state(msk(2025, 10, 20, 14), "waiting_for_customer", "in_progress"),
        Step("priority_changed", msk(2025, 10, 20, 15), {"from": "p3", "to": "p2"}),
    ]
    now = msk(2025, 10, 20, 15)
    raised = compute_clock(registered_at=registered, steps=steps, targets=P2, rules=RULES, now=now)
    assert must(raised.resolution).due_at == utc(2025, 10, 21, 6)  # V22
    assert must(raised.reaction).due_at == msk(2025, 10, 20, 10)  # 60 from registration: breached
    assert raised.unrecorded_priority_from == "p3"
    recorded = [*steps, Step("deadlines_changed", now, {})]
    assert (
        compute_clock(
            registered_at=registered, steps=recorded, targets=P2, rules=RULES, now=now
        ).unrecorded_priority_from
        is None
    )
    lowered = compute_clock(registered_at=registered, steps=[], targets=P3, rules=RULES, now=now)
    assert must(lowered.resolution).due_at == utc(2025, 10, 22, 6)  # V23
    critical = compute_clock(registered_at=registered, steps=[], targets=P1, rules=RULES, now=now)
    assert must(critical.resolution).due_at == utc(2025, 10, 20, 10)  # 240 min around the clock


def test_warning_skipped_when_breach_due_too_and_firings_are_remembered():
    registered = msk(2026, 11, 23, 9)
    clock = compute_clock(
        registered_at=registered, steps=[], targets=P2, rules=RULES, now=msk(2026, 11, 23, 12)
    )
    now = msk(2026, 11, 23, 12)
    due = [(c.timer, c.kind) for c in clock.pending_checks(set(), now) if c.due_at <= now]
    assert due == [("reaction", "breach")]
    fired = {("reaction", "breach", "t60")}
    assert [(c.timer, c.kind) for c in clock.pending_checks(fired, now)] == [
        ("resolution", "warning"),
        ("resolution", "breach"),
    ]


def test_silence_in_calendar_and_working_days_and_a_reply_restarts_it():
    registered = msk(2026, 11, 23, 9)
    asked = msk(2026, 11, 23, 10)
    steps = [
        state(msk(2026, 11, 23, 9, 5), "registered", "in_progress"),
        Step("diagnostics_requested", asked),
        state(asked, "in_progress", "waiting_for_customer"),
    ]
    calendar_days = compute_clock(
        registered_at=registered, steps=steps, targets=None, rules=RULES, now=asked
    )
    assert calendar_days.deadlines == (
        timers.Deadline("silence", "closure", asked, msk(2026, 11, 28, 10)),
    )
    working = Rules(calendar=MSK_DAY, silence_days=10, silence_in_working_days=True)
    clock = compute_clock(
        registered_at=registered, steps=steps, targets=None, rules=working, now=asked
    )
    # 24, 25, 26, 27, 30 Nov, 1, 2, 3, 4, 7 Dec: the end of Monday 7 Dec.
    assert clock.deadlines[0].due_at == msk(2026, 12, 8)
    replied = [*steps, Step("customer_reply", msk(2026, 11, 25, 11))]
    clock = compute_clock(
        registered_at=registered, steps=replied, targets=None, rules=working, now=msk(2026, 11, 26)
    )
    assert clock.deadlines[0].due_at == msk(2026, 12, 10)  # end of Wed 9 Dec
    assert clock.deadlines[0].anchor == msk(2026, 11, 25, 11)


def test_confirmation_reminder_at_next_opening_and_closure_after_the_reminder():
    registered = msk(2026, 11, 23, 9)
    proposed = msk(2026, 11, 23, 12)
    steps = [
        state(msk(2026, 11, 23, 9, 5), "registered", "in_progress"),
        state(proposed, "in_progress", "solution_proposed"),
    ]
    rules = Rules(calendar=MSK_DAY, confirmation_working_days=1, confirmation_closes=True)
    clock = compute_clock(
        registered_at=registered, steps=steps, targets=None, rules=rules, now=proposed
    )
    # One working day after Monday: the end of Tuesday; reminded at Wednesday's opening.
    assert clock.deadlines == (
        timers.Deadline("confirmation", "reminder", proposed, msk(2026, 11, 25, 8)),
    )
    reminded = [*steps, Step("confirmation_reminder", msk(2026, 11, 25, 8))]
    clock = compute_clock(
        registered_at=registered, steps=reminded, targets=None, rules=rules, now=msk(2026, 11, 26)
    )
    assert clock.deadlines[1] == timers.Deadline(
        "confirmation", "closure", proposed, msk(2026, 11, 27)
    )
