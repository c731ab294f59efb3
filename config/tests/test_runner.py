"""The embedded runner (config/runner.py) and ``supportdesk runworker``."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command, get_commands
from django.utils import translation

import config.celery
from config.runner import run_periodic
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.tests.test_smtp import enqueue

calls: list[str] = []


def boom() -> None:
    calls.append("boom")
    raise ValueError("the job broke")


def count() -> None:
    calls.append("count")


def send_sigterm_after_three_runs() -> None:
    calls.append("sigterm")
    if calls.count("sigterm") == 3:
        os.kill(os.getpid(), signal.SIGTERM)


def job(name: str, schedule: float = 60.0) -> dict:
    return {"task": f"{__name__}.{name}", "schedule": schedule}


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def test_runworker_is_a_command_of_config_not_of_a_domain_app():
    assert get_commands()["runworker"] == "config"


@pytest.mark.django_db
def test_runworker_once_delivers_a_pending_email():
    message = enqueue()

    call_command("runworker", "--once")

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message.message_id]


def test_the_schedule_is_the_one_beat_uses():
    assert config.celery.app.conf.beat_schedule is config.celery.PERIODIC_TASKS
    assert config.celery.PERIODIC_TASKS["deliver-outbox"] == {
        "task": "supportdesk.outbox.tasks.deliver_outbox",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    }


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_does_not_stop_the_others(monkeypatch, caplog):
    monkeypatch.setattr(
        config.celery,
        "PERIODIC_TASKS",
        {
            "boom": job("boom"),
            "deliver-outbox": config.celery.PERIODIC_TASKS["deliver-outbox"],
            "count": job("count"),
        },
    )
    message = enqueue()

    with caplog.at_level(logging.ERROR, logger="supportdesk.runner"):
        failures = run_periodic(stop_event=threading.Event(), once=True)

    assert failures == {"boom": 1, "deliver-outbox": 0, "count": 0}
    assert calls == ["boom", "count"]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    [record] = caplog.records
    assert record.getMessage() == "job boom failed; it runs again on its next tick"
    assert record.exc_info[0] is ValueError


@pytest.mark.django_db
def test_runworker_once_exits_with_an_error_when_a_job_failed(monkeypatch):
    monkeypatch.setattr(
        config.celery, "PERIODIC_TASKS", {"boom": job("boom"), "count": job("count")}
    )

    with translation.override("en"), pytest.raises(CommandError, match="Jobs failed: boom"):
        call_command("runworker", "--once")

    assert calls == ["boom", "count"]


def test_the_loop_keeps_running_jobs_on_schedule_after_failures(monkeypatch):
    monkeypatch.setattr(
        config.celery,
        "PERIODIC_TASKS",
        {"boom": job("boom", schedule=0.01), "count": job("count", schedule=0.01)},
    )
    stop_event = threading.Event()
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(run_periodic(stop_event=stop_event)), daemon=True
    )

    worker.start()
    deadline = time.monotonic() + 10
    while calls.count("count") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop_event.set()
    worker.join(timeout=10)

    assert not worker.is_alive()
    assert calls.count("count") >= 3
    assert result["boom"] >= 3


@pytest.mark.django_db
def test_runworker_stops_cleanly_on_sigterm(monkeypatch):
    monkeypatch.setattr(
        config.celery,
        "PERIODIC_TASKS",
        {"sigterm": job("send_sigterm_after_three_runs", schedule=0.01)},
    )
    before = signal.getsignal(signal.SIGTERM)

    call_command("runworker")  # returns only because SIGTERM set the stop event

    assert calls == ["sigterm"] * 3
    assert signal.getsignal(signal.SIGTERM) is before
