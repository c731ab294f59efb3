"""sweep.py: warnings, breaches, reminders and closures happen once, on time, and cheaply."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from supportdesk.outbox.relay import deliver_due
from supportdesk.sla.models import SlaBreach, SlaFiring
from supportdesk.sla.sweep import sweep_sla
from supportdesk.sla.tasks import sweep_sla as sweep_task
from supportdesk.sla.tests.helpers import events, fresh, mails, msk, ngfw_ticket, sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import Ticket

MONDAY_9 = msk(2026, 11, 23, 9)
TEAM_RU = ["engineer@support.example", "manager@support.example"]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(MONDAY_9, tick=False):
        yield


def sla_kinds(ticket):
    return [e.kind for e in events(ticket, "sla_warning", "sla_breach")]


def test_warning_and_breach_fire_once_each(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p1")  # Essential p1: reaction 60
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 23, 9, 48)

    assert sweep_sla(now=msk(2026, 11, 23, 9, 47)).fired == 0
    assert sweep_sla(now=msk(2026, 11, 23, 9, 48)).fired == 1
    assert sweep_sla(now=msk(2026, 11, 23, 9, 50)).fired == 0
    [warning] = events(ticket, "sla_warning")
    assert warning.is_internal
    assert warning.created_at == msk(2026, 11, 23, 9, 48)
    assert warning.data == {
        "timer": "reaction",
        "at": "2026-11-23T06:48:00+00:00",
        "due_at": "2026-11-23T07:00:00+00:00",
        "target_minutes": 60,
        "consumed_minutes": 48,
        "percent": 80,
    }
    # No owner yet: the team's engineers and managers, in their language; not the customer.
    assert mails(ticket, "sla_warning", "sla_breach") == [("sla_warning", TEAM_RU, "ru")]
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 23, 10)

    assert sweep_sla(now=msk(2026, 11, 23, 10)).fired == 1
    assert sweep_sla(now=msk(2026, 11, 23, 10, 1)).fired == 0
    assert sla_kinds(ticket) == ["sla_warning", "sla_breach"]
    assert mails(ticket, "sla_warning", "sla_breach") == [
        ("sla_warning", TEAM_RU, "ru"),
        ("sla_breach", TEAM_RU, "ru"),
    ]
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.target_minutes, breach.due_at, breach.met_at) == (
        "reaction",
        60,
        msk(2026, 11, 23, 10),
        None,
    )
    # The next check is the resolution warning (1152 of 1440): 660 on Monday, Tue 08:00 + 492.
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 24, 16, 12)

    # The late first response settles the breach: 30 business minutes late.
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 10, 20))
    actions.add_public_reply(
        ticket=ticket, actor=cast.engineer, body="Looking.", now=msk(2026, 11, 23, 10, 30)
    )
    breach.refresh_from_db()
    assert (breach.met_at, breach.minutes_late) == (msk(2026, 11, 23, 10, 30), 30)
    assert sweep_sla(now=msk(2026, 11, 23, 10, 31)).fired == 0
    assert SlaFiring.objects.count() == 2


def test_owner_hears_of_a_breach_in_their_language(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p1")
    actions.assign_ticket(
        ticket=ticket, actor=cast.manager, assignee=cast.engineer_en, now=msk(2026, 11, 23, 9, 1)
    )
    # Both thresholds passed unseen: one breach, no warning after the fact.
    assert sweep_sla(now=msk(2026, 11, 23, 10, 5)).fired == 1
    assert sla_kinds(ticket) == ["sla_breach"]
    assert mails(ticket, "sla_warning", "sla_breach") == [
        ("sla_breach", ["john@support.example"], "en")
    ]
    # The sweep leaves the text to the relay, which renders it just before sending.
    assert ticket.outbox.get(template="sla_breach").body_text == ""
    assert deliver_due(now=msk(2026, 11, 23, 10, 5)).sent >= 1
    message = ticket.outbox.get(template="sla_breach")
    assert "missed its reaction time" in message.body_text
    assert "23 November 2026, 07:00 (Europe/London)" in message.body_text


def test_breach_before_a_met_target_is_kept_and_warnings_stop_when_met(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p1")
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 10))
    actions.add_public_reply(
        ticket=ticket, actor=cast.engineer, body="On it.", now=msk(2026, 11, 23, 9, 50)
    )
    # The 80 % point (09:48) passed before the reply but no sweep saw it: no stale warning.
    assert sweep_sla(now=msk(2026, 11, 23, 9, 55)).fired == 0
    assert sla_kinds(ticket) == []


def test_sweep_with_nothing_due_is_one_query(cast, django_assert_num_queries):
    for _ in range(3):
        sep_ticket(cast, now=MONDAY_9)
    with django_assert_num_queries(1):
        result = sweep_sla(now=msk(2026, 11, 23, 9, 1))
    assert result.as_dict() == {"tickets": 0, "fired": 0, "failed": 0, "batches": 0}


def test_the_task_runs_the_sweep(cast):
    ticket = sep_ticket(cast, now=MONDAY_9, priority="p1")
    with time_machine.travel(msk(2026, 11, 23, 9, 48), tick=False):
        assert sweep_task() == {"tickets": 1, "fired": 1, "failed": 0, "batches": 1}
    assert sla_kinds(ticket) == ["sla_warning"]


def test_silence_closes_after_five_calendar_days_for_000(cast):
    ticket = sep_ticket(cast, now=MONDAY_9)
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")], now=msk(2026, 11, 23, 10)
    )
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 28, 10)
    sweep_sla(now=msk(2026, 11, 28, 9, 59))
    assert fresh(ticket).state == "waiting_for_customer"
    sweep_sla(now=msk(2026, 11, 28, 10))
    t = fresh(ticket)
    assert (t.state, t.close_reason, t.closed_at, t.sla_next_check_at) == (
        "closed",
        "no_response",
        msk(2026, 11, 28, 10),
        None,
    )
    [closing] = [e for e in events(ticket, "state_changed") if e.data["to"] == "closed"]
    assert closing.actor is None
    assert closing.data["close_reason"] == "no_response"
    assert "5" in closing.body
    assert mails(ticket, "ticket_closed") == [("ticket_closed", ["ivan@alpha.example"], "ru")]
    assert SlaFiring.objects.filter(ticket=ticket, timer="silence").count() == 1
    assert sweep_sla(now=msk(2026, 11, 29)).fired == 0


def test_silence_closes_after_ten_working_days_for_002_and_an_answer_restarts_it(cast):
    ticket = ngfw_ticket(cast, now=MONDAY_9)
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    ticket = actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs")],
        now=msk(2026, 11, 23, 9, 30),
    )
    # More than 10 working days: the end of Mon 7 Dec.
    assert fresh(ticket).sla_next_check_at == msk(2026, 12, 8)
    ticket = actions.add_customer_reply(
        ticket=ticket, actor=cast.customer_beta, body="Logs.", now=msk(2026, 11, 25, 11)
    )
    ticket = actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("traces")],
        now=msk(2026, 11, 25, 14),
    )
    sweep_sla(now=msk(2026, 12, 8))
    assert fresh(ticket).state == "waiting_for_customer"
    sweep_sla(now=msk(2026, 12, 9, 23, 59))
    assert fresh(ticket).state == "waiting_for_customer"
    sweep_sla(now=msk(2026, 12, 10))  # the end of Wed 9 Dec, 10 working days after 25 Nov
    t = fresh(ticket)
    assert (t.state, t.close_reason, t.closed_at) == ("closed", "no_response", msk(2026, 12, 10))
    assert mails(ticket, "ticket_closed") == [("ticket_closed", ["olga@beta.example"], "en")]


def test_confirmation_reminder_after_one_working_day_for_002(cast):
    ticket = ngfw_ticket(cast, now=MONDAY_9)
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    actions.propose_solution(
        ticket=ticket, actor=cast.engineer, body="Update to 7.2.1.", now=msk(2026, 11, 23, 9, 30)
    )
    # The working day after Monday ends at Wed 00:00; the reminder goes at Wednesday's opening.
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 25, 9)
    sweep_sla(now=msk(2026, 11, 25, 8, 59))
    assert events(ticket, "confirmation_reminder") == []
    sweep_sla(now=msk(2026, 11, 25, 9))
    sweep_sla(now=msk(2026, 11, 25, 9, 30))
    [reminder] = events(ticket, "confirmation_reminder")
    assert not reminder.is_internal
    assert mails(ticket, "confirmation_reminder") == [
        ("confirmation_reminder", ["olga@beta.example"], "en")
    ]
    t = fresh(ticket)
    assert t.state == "solution_proposed"  # action "remind": keep waiting
    # Then the silence rule: more than 10 working days after the proposal.
    assert t.sla_next_check_at == msk(2026, 12, 8)


def test_confirmation_action_close_closes_as_confirmed_after_the_reminder(cast):
    cast.regulation_002.confirmation_action = "close"
    cast.regulation_002.save(update_fields=["confirmation_action"])
    ticket = ngfw_ticket(cast, now=MONDAY_9)
    ticket = actions.take_ticket(ticket=ticket, actor=cast.engineer, now=msk(2026, 11, 23, 9, 5))
    actions.propose_solution(
        ticket=ticket, actor=cast.engineer, body="Update to 7.2.1.", now=msk(2026, 11, 23, 9, 30)
    )
    sweep_sla(now=msk(2026, 11, 25, 9))
    # One more working day after the reminder's day: the end of Thursday.
    assert fresh(ticket).sla_next_check_at == msk(2026, 11, 27)
    sweep_sla(now=msk(2026, 11, 27))
    t = fresh(ticket)
    assert (t.state, t.close_reason, t.closed_at) == ("closed", "confirmed", msk(2026, 11, 27))
    [closing] = [e for e in events(ticket, "state_changed") if e.data["to"] == "closed"]
    assert closing.data["action"] == "confirmation_timeout"
    assert [m[0] for m in mails(ticket, "confirmation_reminder", "ticket_closed")] == [
        "confirmation_reminder",
        "ticket_closed",
    ]


def test_a_failing_ticket_is_retried_later_and_does_not_stop_the_others(cast, monkeypatch):
    bad = sep_ticket(cast, now=MONDAY_9, priority="p1")
    good = sep_ticket(cast, now=MONDAY_9, priority="p1")
    from supportdesk.sla import sweep

    real = sweep._sla_alert

    def flaky(ticket, *args, **kwargs):
        if ticket.pk == bad.pk:
            raise RuntimeError("boom")
        return real(ticket, *args, **kwargs)

    monkeypatch.setattr(sweep, "_sla_alert", flaky)
    result = sweep_sla(now=msk(2026, 11, 23, 9, 48))
    assert (result.tickets, result.fired, result.failed) == (2, 1, 1)
    assert sla_kinds(good) == ["sla_warning"]
    assert sla_kinds(bad) == []  # rolled back with its firing row
    assert fresh(bad).sla_next_check_at == msk(2026, 11, 23, 9, 53)


def _run_concurrently(count: int, now) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run():
        try:
            barrier.wait()
            results.append(sweep_sla(now=now, batch_size=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_fire_each_threshold_once(cast):
    tickets = [sep_ticket(cast, now=MONDAY_9, priority="p1") for _ in range(30)]
    results = _run_concurrently(2, msk(2026, 11, 23, 9, 48))
    assert sum(r.fired for r in results) == 30
    results = _run_concurrently(2, msk(2026, 11, 23, 10))
    assert sum(r.fired for r in results) == 30
    for ticket in tickets:
        assert sla_kinds(ticket) == ["sla_warning", "sla_breach"]
        assert [m[0] for m in mails(ticket, "sla_warning", "sla_breach")] == [
            "sla_warning",
            "sla_breach",
        ]
    assert SlaBreach.objects.count() == 30
    assert Ticket.objects.filter(sla_next_check_at__lte=msk(2026, 11, 23, 10)).count() == 0


def test_a_sweeper_killed_mid_batch_leaves_nothing_half_done(cast, monkeypatch):
    tickets = [sep_ticket(cast, now=MONDAY_9, priority="p1") for _ in range(5)]
    from supportdesk.sla import sweep

    real = sweep._process_ticket
    calls = []

    def dying(ticket, **kwargs):
        calls.append(ticket.pk)
        if len(calls) == 3:
            raise SystemExit("killed")  # not an Exception: escapes the per-ticket guard
        return real(ticket, **kwargs)

    monkeypatch.setattr(sweep, "_process_ticket", dying)
    with pytest.raises(SystemExit):
        sweep_sla(now=msk(2026, 11, 23, 9, 48))
    assert SlaFiring.objects.count() == 0
    assert [sla_kinds(t) for t in tickets] == [[]] * 5
    monkeypatch.setattr(sweep, "_process_ticket", real)
    assert sweep_sla(now=msk(2026, 11, 23, 9, 48)).fired == 5
    assert [sla_kinds(t) for t in tickets] == [["sla_warning"]] * 5
