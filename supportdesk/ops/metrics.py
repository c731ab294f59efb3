"""Prometheus metrics: what the desk's database says at scrape time, and request latency.

The desk's numbers (queue depth, SLA risk, outbox, sweep lag) are read from the database by a
collector on every scrape, so every web worker reports the same truth and nothing is kept in
memory. Request latency is a histogram observed by ``RequestLatencyMiddleware``; under gunicorn
with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (deploy/gunicorn.conf.py does) so that a
scrape sums every worker's observations instead of one worker's.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from supportdesk.outbox.relay import outbox_health
from supportdesk.sla.sweep import sweep_backlog
from supportdesk.tickets.models import Ticket

NO_TEAM = "-"

REQUEST_LATENCY = Histogram(
    "supportdesk_request_duration_seconds",
    "Time to answer an HTTP request, by method, URL pattern and status class.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class DeskCollector(Collector):
    """Gauges read from the database at scrape time (a handful of indexed queries)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._tickets()
        health = outbox_health(now=self.now)
        yield GaugeMetricFamily(
            "supportdesk_outbox_pending", "E-mails waiting for delivery.", value=health["pending"]
        )
        yield GaugeMetricFamily(
            "supportdesk_outbox_retrying",
            "Pending e-mails whose earlier delivery attempts failed.",
            value=health["retrying"],
        )
        yield GaugeMetricFamily(
            "supportdesk_outbox_failed",
            "E-mails given up after the last allowed attempt.",
            value=health["failed"],
        )
        yield GaugeMetricFamily(
            "supportdesk_outbox_oldest_pending_seconds",
            "Age of the oldest pending e-mail.",
            value=health["oldest_pending_seconds"],
        )
        sweep = sweep_backlog(now=self.now)
        yield GaugeMetricFamily(
            "supportdesk_sla_sweep_due",
            "Tickets whose SLA check is due but not yet swept.",
            value=sweep["due"],
        )
        yield GaugeMetricFamily(
            "supportdesk_sla_sweep_lag_seconds",
            "How late the oldest due SLA check is (0 when the sweep keeps up).",
            value=sweep["oldest_seconds"],
        )

    def _tickets(self) -> Iterator[GaugeMetricFamily]:
        window = dt.timedelta(seconds=settings.METRICS_AT_RISK_SECONDS)
        rows = (
            Ticket.objects.filter(closed_at__isnull=True)
            .values("team__name")
            .annotate(
                depth=Count("id"),
                breached=Count("id", filter=Q(sla_due_at__lte=self.now)),
                at_risk=Count(
                    "id", filter=Q(sla_due_at__gt=self.now, sla_due_at__lte=self.now + window)
                ),
            )
            .order_by("team__name")
        )
        depth = GaugeMetricFamily(
            "supportdesk_queue_depth", "Open tickets per team.", labels=["team"]
        )
        breached = GaugeMetricFamily(
            "supportdesk_sla_breached",
            "Open tickets past a running SLA deadline, per team.",
            labels=["team"],
        )
        at_risk = GaugeMetricFamily(
            "supportdesk_sla_at_risk",
            "Open tickets whose SLA deadline falls within METRICS_AT_RISK_SECONDS, per team.",
            labels=["team"],
        )
        for row in rows:
            team = [row["team__name"] or NO_TEAM]
            depth.add_metric(team, row["depth"])
            breached.add_metric(team, row["breached"])
            at_risk.add_metric(team, row["at_risk"])
        yield from (depth, breached, at_risk)


def exposition(now: dt.datetime) -> bytes:
    """The text exposition format of every metric."""
    desk = CollectorRegistry(auto_describe=False)
    desk.register(DeskCollector(now))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
        return generate_latest(process) + generate_latest(desk)
    return generate_latest(REGISTRY) + generate_latest(desk)


class RequestLatencyMiddleware:
    """Observes every request's duration, labelled by the URL pattern (not the path, whose
    ticket numbers would make a series per ticket)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = match.route if match is not None else "unmatched"
        REQUEST_LATENCY.labels(
            method=request.method if request.method in _METHODS else "other",
            route=route,
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
