"""Server time, SQL count and query plans of the hot pages, in process, on a generated database.

    DATABASE_URL=postgres://... python bench/bench_pages.py [--requests 50] [--explain]

Run after ``bench/generate.py``. Each page is requested ``--requests`` times through Django's
test client (no network, no gunicorn: the time is the server's, middleware to response) after 3
warm-up requests: the agent's queue (open, closed, own), the customer's list (organization
administrator of the big organization), and the ticket page of a ticket with 50 timeline events
(made once through the real actions, numbered ``BENCH-50-EVENTS`` in its subject). With
``--explain`` every SELECT a page runs is replayed with ``EXPLAIN (ANALYZE, BUFFERS)`` and the
slowest plans are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import format_table, percentile, print_machine_info, setup_django

SUBJECT = "BENCH-50-EVENTS"


def ticket_with_50_events():
    from supportdesk.demo.cast import load_demo
    from supportdesk.regulations.models import Channel
    from supportdesk.tickets import actions
    from supportdesk.tickets.models import Ticket
    from supportdesk.tickets.registration import RegistrationRequest, register_ticket

    cast = load_demo()
    existing = Ticket.objects.filter(subject=SUBJECT).first()
    if existing is not None:
        return cast, existing
    user = cast.customer_alpha
    ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=user,
            contact=user.contact,
            support_contact_id="SC-1001",
            product=cast.product_sep,
            version="14.3 RU9",
            os_version="Windows Server 2022",
            service_pack="none",
            subject=SUBJECT,
            description="A ticket with a long timeline, for the page benchmark.",
        )
    )
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    for n in range(16):
        actions.add_public_reply(ticket=ticket, actor=cast.engineer, body=f"Answer {n}")
        actions.add_customer_reply(ticket=ticket, actor=user, body=f"Reply {n}")
        actions.add_internal_note(ticket=ticket, actor=cast.engineer, body=f"Note {n}")
    return cast, ticket


def measure(client, path: str, n: int) -> tuple[list[float], list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return samples, [q["sql"] for q in queries.captured_queries]


def explain(statements: list[str], top: int = 3) -> list[tuple[float, str, str]]:
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
            total = next(
                (
                    float(line.split(":")[1].split()[0])
                    for line in lines
                    if "Execution Time" in line
                ),
                0.0,
            )
            plans.append((total, sql, "\n".join(lines)))
    return sorted(plans, reverse=True)[:top]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from supportdesk.tickets.models import Ticket

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print_machine_info()
    cast, long_ticket = ticket_with_50_events()
    print(f"tickets   {Ticket.objects.count():,}; long ticket {long_ticket.number} "
          f"with {long_ticket.events.count()} events")  # fmt: skip
    agent, admin = Client(), Client()
    agent.force_login(cast.manager)
    admin.force_login(cast.orgadmin_alpha)
    engineer = Client()
    engineer.force_login(cast.engineer)
    pages = [
        ("queue, open (manager)", agent, reverse("workspace:home")),
        ("queue, closed (manager)", agent, reverse("workspace:home") + "?view=closed"),
        ("queue, mine (engineer)", engineer, reverse("workspace:home") + "?mine=1"),
        ("customer list, open (org admin)", admin, reverse("ticket_list") + "?state=open"),
        ("customer list, all (org admin)", admin, reverse("ticket_list") + "?state=all"),
        ("ticket page, 50 events (agent)", agent,
         reverse("workspace:ticket", args=[long_ticket.number])),
        ("ticket page, 50 events (customer)", admin,
         reverse("ticket_detail", args=[long_ticket.number])),
    ]  # fmt: skip
    rows, plans = [], []
    for name, client, path in pages:
        samples, statements = measure(client, path, args.requests)
        ms = [s * 1000 for s in samples]
        rows.append(
            (
                name,
                len(samples),
                f"{statistics.median(ms):.1f}",
                f"{percentile(ms, 95):.1f}",
                len(statements),
            )
        )
        if args.explain:
            plans.append((name, path, explain(statements)))
    print(format_table(["page (server time, in process)", "n", "p50 ms", "p95 ms", "SQL"], rows))
    for name, path, top in plans:
        print(f"\n### {name} — {path}")
        for total, sql, plan in top:
            print(f"\n-- {total:.3f} ms: {sql[:300]}\n{plan}")


if __name__ == "__main__":
    main()
