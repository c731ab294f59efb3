"""SLA sweep benchmark: cost follows due deadlines, not tickets.

    DATABASE_URL=postgres://... python bench/bench_sla.py [--tickets 1000000] [--due 10000]

Migrates the database, loads the demo cast (both regulations), then makes sure ``--tickets`` open
tickets exist (numbers ``SLAB-…``, inserted with COPY on PostgreSQL, ``bulk_create`` on SQLite;
kept between runs). ``--due`` of them are due at the bench instant (an Essential p1 reaction
deadline passed: one breach each, with its timeline event and outbox e-mail); the rest have their
next check between one minute and 30 days later. Measures one full sweep over the due tickets,
then the sweep with nothing due (the idle cost paid every 30 s), and prints the query plans of the
sweep's two queries. Re-running resets the due tickets first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import format_table, print_machine_info, setup_django

PREFIX = "SLAB-"
DUE_PREFIX = "SLAB-D"
MSK = ZoneInfo("Europe/Moscow")
# A Monday noon in Moscow; the due tickets were registered at 10:50 (Essential p1: reaction 60).
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=MSK)
REGISTERED = dt.datetime(2026, 11, 23, 10, 50, tzinfo=MSK)


def _base_rows() -> dict:
    from supportdesk.demo.cast import load_demo
    from supportdesk.regulations.models import Priority

    cast = load_demo()
    contract = cast.contract_alpha
    return {
        "organization_id": contract.organization_id,
        "contact_id": cast.customer_alpha.contact.pk,
        "contract_id": contract.pk,
        "regulation_id": contract.regulation_id,
        "level_id": contract.level_id,
        "product_id": cast.product_sep.pk,
        "priority_id": Priority.objects.get(regulation=contract.regulation, code="p1").pk,
        "team_id": cast.team_ru.pk,
        "registered_by_id": cast.customer_alpha.pk,
    }


def _ticket_values(base: dict, number: str, next_check: dt.datetime) -> dict:
    return {
        **base,
        "number": number,
        "version": "14.3",
        "os_version": "",
        "service_pack": "",
        "channel": "portal",
        "state": "in_progress",
        "close_reason": "",
        "language": "ru",
        "subject": "SLA bench",
        "description": "SLA bench",
        "escalation_level": 0,
        "registered_at": REGISTERED,
        "updated_at": REGISTERED,
        "sla_next_check_at": next_check,
    }


def ensure_tickets(total: int, due: int) -> tuple[int, float]:
    """Create the missing bench tickets; returns (created, seconds)."""
    from django.db import connection, transaction

    from supportdesk.tickets.models import Ticket

    existing_due = Ticket.objects.filter(number__startswith=DUE_PREFIX).count()
    existing = Ticket.objects.filter(number__startswith=PREFIX).count()
    want_due = max(due - existing_due, 0)
    want_rest = max(total - due - (existing - existing_due), 0)
    if not want_due and not want_rest:
        return 0, 0.0
    base = _base_rows()
    rng = random.Random(1)
    started = time.perf_counter()
    rows = []
    for i in range(existing_due, existing_due + want_due):
        rows.append(_ticket_values(base, f"{DUE_PREFIX}{i:07d}", NOW - dt.timedelta(minutes=1)))
    first_rest = existing - existing_due
    for i in range(first_rest, first_rest + want_rest):
        later = NOW + dt.timedelta(seconds=rng.randint(60, 30 * 86400))
        rows.append(_ticket_values(base, f"{PREFIX}R{i:07d}", later))
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key and f.attname in rows[0]]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            sql = f"COPY {Ticket._meta.db_table} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for start in range(0, len(rows), 50_000):
                    buffer = io.StringIO()
                    for row in rows[start : start + 50_000]:
                        buffer.write("\t".join(_copy_value(row[f.attname]) for f in fields))
                        buffer.write("\n")
                    copy.write(buffer.getvalue())
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        else:
            Ticket.objects.bulk_create((Ticket(**row) for row in rows), batch_size=2000)
    return len(rows), time.perf_counter() - started


def _copy_value(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def reset_due() -> None:
    """Make the due tickets due again and drop what an earlier run wrote for them."""
    from django.db import transaction

    from supportdesk.outbox.models import OutboxMessage
    from supportdesk.sla.models import SlaBreach, SlaFiring
    from supportdesk.tickets.models import Ticket, TicketEvent

    due = Ticket.objects.filter(number__startswith=DUE_PREFIX)
    with transaction.atomic():
        SlaFiring.objects.filter(ticket__in=due).delete()
        SlaBreach.objects.filter(ticket__in=due).delete()
        OutboxMessage.objects.filter(ticket__in=due).delete()
        TicketEvent.objects.filter(ticket__in=due).delete()
        due.update(
            sla_next_check_at=NOW - dt.timedelta(minutes=1),
            reaction_due_at=None,
            resolution_due_at=None,
            sla_due_at=None,
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        # The reset leaves dead rows and stale statistics behind it (autovacuum would catch up
        # minutes later in production); measure on a vacuumed table.
        with connection.cursor() as cursor:
            for table in ("tickets_ticket", "tickets_ticketevent", "outbox_outboxmessage"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def explain() -> list[str]:
    from django.db import connection

    from supportdesk.tickets.models import Ticket

    probe = Ticket.objects.filter(sla_next_check_at__lte=NOW)
    claim = probe.order_by("sla_next_check_at", "id")[:200]
    lines = []
    first_due = probe.order_by("sla_next_check_at").values_list("sla_next_check_at", flat=True)
    for name, qs in (("probe (first due)", first_due[:1]), ("claim batch", claim)):
        options = {"analyze": True} if connection.vendor == "postgresql" else {}
        lines.append(f"-- {name}")
        lines.extend(qs.explain(**options).splitlines())
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=None, help="default 1,000,000 (PG)")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from supportdesk.sla.sweep import sweep_sla
    from supportdesk.tickets.models import Ticket

    total = args.tickets or (1_000_000 if connection.vendor == "postgresql" else 100_000)
    print_machine_info()
    call_command("migrate", verbosity=0)
    created, create_seconds = ensure_tickets(total, args.due)
    reset_due()
    tickets = Ticket.objects.filter(number__startswith=PREFIX).count()
    due = Ticket.objects.filter(sla_next_check_at__lte=NOW).count()

    started = time.perf_counter()
    result = sweep_sla(now=NOW, batch_size=args.batch)
    busy = time.perf_counter() - started
    left = Ticket.objects.filter(sla_next_check_at__lte=NOW).count()

    idle = []
    for _ in range(50):
        started = time.perf_counter()
        sweep_sla(now=NOW)
        idle.append((time.perf_counter() - started) * 1000)

    rows = [
        ("bench tickets", f"{tickets:,}"),
        ("created now", f"{created:,} in {create_seconds:.1f} s" if created else "0 (reused)"),
        ("due at the bench instant", f"{due:,}"),
        ("sweep: tickets handled", f"{result.tickets:,} in {result.batches} batches"),
        ("sweep: firings (event + e-mail each)", f"{result.fired:,}"),
        ("sweep: failures", str(result.failed)),
        ("sweep: time", f"{busy:.2f} s"),
        ("sweep: firings/s", f"{result.fired / busy:,.0f}" if busy else "-"),
        ("still due after the sweep", str(left)),
        ("idle sweep (0 due), median of 50", f"{statistics.median(idle):.2f} ms"),
        ("idle sweep, max", f"{max(idle):.2f} ms"),
    ]
    print(format_table(["SLA sweep", "value"], rows))
    print()
    print("\n".join(explain()))


if __name__ == "__main__":
    main()
