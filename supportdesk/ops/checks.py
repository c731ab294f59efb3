"""Readiness: can this process serve, and is the background work keeping up?

``/readyz`` answers 503 when one of these fails, so a load balancer stops sending requests to an
instance that lost its database, and monitoring sees a broker that is gone or an outbox or SLA
sweep that fell behind. The thresholds are settings (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from kombu import Connection

from supportdesk.outbox.relay import outbox_health
from supportdesk.sla.sweep import sweep_backlog


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return CheckResult("database", False, type(error).__name__)
    return CheckResult("database", True, connection.vendor)


def check_broker() -> CheckResult | None:
    """None when no broker is configured (the embedded runner does the background work)."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    try:
        with Connection(url, connect_timeout=settings.READY_BROKER_TIMEOUT) as broker:
            broker.ensure_connection(max_retries=1, timeout=settings.READY_BROKER_TIMEOUT)
    except Exception as error:
        return CheckResult("broker", False, type(error).__name__)
    return CheckResult("broker", True, "reachable")


def check_outbox(now: dt.datetime) -> CheckResult:
    age = outbox_health(now=now)["oldest_pending_seconds"]
    limit = settings.READY_OUTBOX_MAX_AGE
    return CheckResult("outbox", age <= limit, f"oldest pending {age} s (limit {limit} s)")


def check_sweep(now: dt.datetime) -> CheckResult:
    lag = sweep_backlog(now=now)["oldest_seconds"]
    limit = settings.READY_SWEEP_MAX_LAG
    return CheckResult("sla_sweep", lag <= limit, f"oldest due check {lag} s (limit {limit} s)")


def readiness(now: dt.datetime) -> list[CheckResult]:
    """Every readiness check; the lag checks only when the database answers."""
    database = check_database()
    results = [database]
    broker = check_broker()
    if broker is not None:
        results.append(broker)
    if database.ok:
        results += [check_outbox(now), check_sweep(now)]
    return results
