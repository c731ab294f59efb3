"""Benchmark the workspace queue (every view) and search on generated data.

    python bench/bench_queue_search.py [--generate --tickets 100000] [--n 100]

Runs in-process with Django's test client (view, queries and template, no HTTP server) against
``DATABASE_URL``. Before measuring it prepares the generated data the way production has it:

* open tickets get deadline columns where the generator left none (a spread of due instants
  from 6 h overdue to 3 days ahead, by id), so the queue has breached, at-risk and later rows;
* descriptions are varied with Russian and English sentences built from word lists by id (the
  generator writes one fixed sentence), half of the tickets in each language;
* every search document is rebuilt (``search_index.rebuild_all``, timed), then ANALYZE.

Each line: p50/p95 over ``--n`` sequential requests after 3 warm-ups, and the SQL statements of
one request.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import format_table, percentile, print_machine_info, setup_django

RU_WORDS = [
    ["Агент", "Консоль", "Сервер управления", "Политика", "Задача сканирования"],
    ["не запускается", "зависает", "не применяется", "теряет связь", "не обновляет базы"],
    ["после обновления", "после перезагрузки", "на части компьютеров", "ночью", "в филиале"],
    [
        "журнал приложен",
        "ошибка в журнале событий",
        "антивирусные определения устарели",
        "лицензия истекает",
        "сертификат просрочен",
    ],
]
EN_WORDS = [
    ["The agent", "The console", "The management server", "The policy", "The scan task"],
    ["does not start", "hangs", "is not applied", "loses the connection", "stops updating"],
    ["after the upgrade", "after a reboot", "on some computers", "at night", "in the branch"],
    [
        "log attached",
        "error in the event log",
        "virus definitions are outdated",
        "the license expires",
        "the certificate expired",
    ],
]


def _sentence_sql(words: list[list[str]]) -> str:
    parts = []
    for i, options in enumerate(words):
        array = "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in options) + "]"
        parts.append(f"({array})[1 + (id / {5**i}) % {len(options)}]")
    return " || ' ' || ".join(parts)


def prepare() -> list[tuple[str, str]]:
    """Deadlines, varied texts, search documents; returns (step, seconds) lines."""
    from django.db import connection

    from supportdesk.tickets.search_index import rebuild_all

    steps = []
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "UPDATE tickets_ticket SET "
            "reaction_due_at = now() + ((id % 78) - 6) * interval '1 hour', "
            "sla_due_at = now() + ((id % 78) - 6) * interval '1 hour' "
            "WHERE closed_at IS NULL AND sla_due_at IS NULL "
            "AND state <> 'waiting_for_customer'"
        )
        cursor.execute(
            f"UPDATE tickets_ticket SET description = CASE WHEN id % 2 = 0 "
            f"THEN {_sentence_sql(RU_WORDS)} ELSE {_sentence_sql(EN_WORDS)} END "
            "WHERE description LIKE 'Generated ticket.%'"
        )
        steps.append(("deadlines and varied descriptions", time.perf_counter() - started))
    started = time.perf_counter()
    indexed = rebuild_all()
    steps.append((f"rebuild_all ({indexed:,} documents)", time.perf_counter() - started))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("ANALYZE tickets_ticketsearch")
    return steps


def measure(client, url: str, n: int) -> tuple[float, float, int, int]:
    """p50, p95 (ms), statements of one request, rows shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    rows = len(response.context["tickets"]) if response.context else 0
    return percentile(samples, 50), percentile(samples, 95), len(queries), rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--skip-prepare", action="store_true")
    args = parser.parse_args(argv)

    setup_django()
    warnings.filterwarnings("ignore", message="No directory at")
    from django.test import Client

    from bench.generate import generate
    from supportdesk.demo.cast import load_demo
    from supportdesk.tickets.models import Ticket

    print_machine_info()
    if args.generate:
        print(generate(tickets=args.tickets).table())
    cast = load_demo()
    if not args.skip_prepare:
        for step, seconds in prepare():
            print(f"{step}: {seconds:.1f} s")
    total = Ticket.objects.count()
    open_count = Ticket.objects.filter(closed_at__isnull=True).count()
    print(f"tickets: {total:,} ({open_count:,} open)\n", flush=True)

    manager, engineer, anna = Client(), Client(), Client()
    manager.force_login(cast.manager)
    engineer.force_login(cast.engineer)
    anna.force_login(cast.orgadmin_alpha)
    team = cast.team_ru.pk
    sample = Ticket.objects.filter(number__startswith="GEN-").order_by("id")[total // 2]
    part = sample.number[-5:]
    key = Ticket.objects.filter(license_key__isnull=False).values_list(
        "license_key__key", flat=True
    )[0]
    lines = [
        ("queue: open, all teams (manager)", manager, "/workspace/"),
        ("queue: team", engineer, f"/workspace/?team={team}"),
        ("queue: mine", engineer, "/workspace/?mine=1"),
        ("queue: closed", manager, "/workspace/?view=closed"),
        ("queue: breached, unassigned", manager, "/workspace/?risk=breached&unassigned=1"),
        ("queue: breaches today, team", manager, f"/workspace/?risk=at_risk&team={team}"),
        (
            "queue: organization + state",
            manager,
            f"/workspace/?organization={cast.alpha.pk}&state=in_progress",
        ),
        ("queue: open, page 2", manager, None),
        ("search agent: Russian word (rare)", manager, "/workspace/?q=сертификата"),
        ("search agent: Russian phrase", manager, "/workspace/?q=сервер+зависает"),
        ("search agent: English word (rare)", manager, "/workspace/?q=certificates"),
        ("search agent: part of a number", manager, f"/workspace/?q={part}"),
        ("search agent: license key", manager, f"/workspace/?q={key}"),
        ("search agent: word in every ticket", manager, "/workspace/?q=logs"),
        ("search org admin: Russian word", anna, "/tickets/?q=сертификата"),
        ("API search org admin: English word", anna, "/api/v1/tickets?q=certificates"),
    ]
    first = manager.get("/workspace/")
    rows = []
    for name, client, url in lines:
        url = url or "/workspace/" + first.context["next_url"]
        p50, p95, statements, shown = measure(client, url, args.n)
        rows.append((name, args.n, f"{p50:.1f}", f"{p95:.1f}", statements, shown))
        print(f"{name}: p95 {p95:.1f} ms", flush=True)
    print()
    print(format_table(["view", "n", "p50 ms", "p95 ms", "SQL", "rows"], rows))


if __name__ == "__main__":
    main()
