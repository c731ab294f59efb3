"""The embedded runner: Celery beat's schedule without a broker, for installs on SQLite.

It reads ``config.celery.PERIODIC_TASKS`` (the one schedule, also used by beat) and calls each
task function in this process, in turn. A job that raises is logged with its traceback and runs
again on its next tick; it never stops the loop or the other jobs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.utils.module_loading import import_string

import config.celery

logger = logging.getLogger("supportdesk.runner")


@dataclass
class _Job:
    name: str
    func: Callable[[], object]
    interval: float
    next_run: float = 0.0
    failures: int = 0


def _load_jobs() -> list[_Job]:
    # Read at call time, not import time: the schedule is a module attribute others may extend.
    return [
        _Job(name=name, func=import_string(entry["task"]), interval=float(entry["schedule"]))
        for name, entry in config.celery.PERIODIC_TASKS.items()
    ]


def _release_connections() -> None:
    """What Django does around each request: drop broken or expired database connections.

    Without it a connection broken by a database restart would fail every later job. A connection
    inside a transaction (a caller's, such as a test's) is left alone.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def _run(job: _Job) -> None:
    _release_connections()
    started = time.monotonic()
    try:
        result = job.func()
    except Exception:
        job.failures += 1
        logger.exception("job %s failed; it runs again on its next tick", job.name)
    else:
        logger.debug("job %s done in %.2f s: %s", job.name, time.monotonic() - started, result)
    finally:
        _release_connections()


def run_periodic(*, stop_event: threading.Event, once: bool = False) -> dict[str, int]:
    """Run every periodic job on its schedule until ``stop_event`` is set.

    With ``once`` every job runs one time and the function returns. Returns the number of failed
    runs per job name.
    """
    jobs = _load_jobs()
    logger.info("runner started: %s", ", ".join(f"{j.name} every {j.interval:g} s" for j in jobs))
    start = time.monotonic()
    for job in jobs:
        job.next_run = start
    while not stop_event.is_set():
        for job in jobs:
            if stop_event.is_set():
                break
            if time.monotonic() >= job.next_run:
                _run(job)
                # Skip missed ticks instead of running a job back to back to catch up.
                job.next_run = max(job.next_run + job.interval, time.monotonic())
        if once:
            break
        next_due = min((job.next_run for job in jobs), default=time.monotonic() + 60)
        stop_event.wait(max(next_due - time.monotonic(), 0))
    logger.info("runner stopped")
    return {job.name: job.failures for job in jobs}
