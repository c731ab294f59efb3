"""Mail intake benchmark: parse, parse + thread + store, and memory on a 25 MB message.

    python bench/bench_mail.py [--messages 500]        # SQLite in a temporary directory
    DATABASE_URL=postgres://... python bench/bench_mail.py

Migrates the database, loads the demo cast and registers 20 tickets for ivan@alpha.example; then
takes ``--messages`` genuine replies (each threaded through the signed Message-ID of one of our
notifications, stored with its raw bytes, turned into a customer reply with its timeline event,
the owner's e-mail and the SLA recomputation) and as many messages from an unknown sender (parse,
route, store in quarantine). Memory: tracemalloc's peak while parsing, and while taking, a message
just under the 25 MB limit (one 18 MB attachment, base64), and while taking one over the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from email import policy
from email.message import EmailMessage
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("SUPPORTDESK_DATA_DIR", tempfile.mkdtemp(prefix="bench-mail-"))

from bench.common import format_table, print_machine_info, setup_django, summarize_ms

TICKETS = 20


def message(
    *, sender: str, body: str, in_reply_to: str = "", n: int, attachment: bytes = b""
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "veritas-support@support.example"
    mail["Subject"] = f"Re: bench {n}"
    mail["Message-ID"] = f"<bench-{n}-{time.time_ns()}@customer.example>"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    mail.set_content(body + f"\n\nOn Monday support wrote:\n> message {n}\n> quoted history\n")
    if attachment:
        mail.add_attachment(attachment, maintype="application", subtype="zip", filename="big.zip")
    return mail.as_bytes(policy=policy.SMTP)


def timed(raws: list[bytes], take) -> tuple[float, float, list[float]]:
    """(wall seconds, CPU seconds of this process, per-message wall samples). On a shared machine
    the CPU time gives the rate per core; the wall time includes waiting for the CPU and disk."""
    samples = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for raw in raws:
        t0 = time.perf_counter()
        take(raw)
        samples.append(time.perf_counter() - t0)
    return time.perf_counter() - start, time.process_time() - cpu_start, samples


def peak_mib(func) -> float:
    tracemalloc.start()
    try:
        func()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from supportdesk.demo.cast import load_demo
    from supportdesk.mail.intake import take_message
    from supportdesk.mail.models import InboundMessage
    from supportdesk.mail.parsing import parse_message
    from supportdesk.outbox.models import OutboxMessage
    from supportdesk.regulations.models import Channel
    from supportdesk.tickets.registration import RegistrationRequest, register_ticket

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-mail-media-")
    call_command("migrate", verbosity=0)
    cast = load_demo()
    info = print_machine_info()
    del info
    thread_ids = []
    for n in range(TICKETS):
        ticket = register_ticket(
            request=RegistrationRequest(
                channel=Channel.PORTAL,
                requested_by=cast.customer_alpha,
                contact=cast.customer_alpha.contact,
                support_contact_id="SC-1001",
                product=cast.product_sep,
                version="14.3 RU9",
                os_version="Windows Server 2022",
                service_pack="KB5034439",
                description=f"bench ticket {n}",
            )
        )
        thread_ids.append(OutboxMessage.objects.filter(ticket=ticket).latest("id").message_id)

    count = args.messages
    replies = [
        message(
            sender="ivan@alpha.example",
            body=f"Reply {n}: the job still fails with status 96.",
            in_reply_to=thread_ids[n % TICKETS],
            n=n,
        )
        for n in range(count)
    ]
    strangers = [
        message(sender="stranger@unknown.example", body=f"Hello {n}", n=count + n)
        for n in range(count)
    ]
    table = []
    for name, raws, func in (
        ("parse only (replies)", replies, parse_message),
        ("parse + thread + store: customer reply", replies, take_message),
        ("parse + route + store: quarantine", strangers, take_message),
    ):
        wall, cpu, samples = timed(raws, func)
        summary = summarize_ms(samples)
        rate = f"{count / wall:.0f} msg/s wall, {count / cpu:.0f} msg/s per CPU-second"
        table.append((name, count, rate, f"{summary['p50']:.2f}", f"{summary['p95']:.2f}"))
    replied = InboundMessage.objects.filter(outcome="reply").count()
    assert replied == count, f"{replied} of {count} replies threaded"

    big = message(
        sender="ivan@alpha.example",
        body="A large archive.",
        in_reply_to=thread_ids[0],
        n=10**6,
        attachment=os.urandom(18 * 1024 * 1024),
    )
    over = message(
        sender="ivan@alpha.example",
        body="Too large.",
        n=10**6 + 1,
        attachment=os.urandom(19 * 1024 * 1024 + 512 * 1024),
    )
    mb = len(big) / 1024 / 1024
    over_mb = len(over) / 1024 / 1024
    table.append(
        (
            f"memory: parse a {mb:.1f} MB message",
            1,
            f"peak {peak_mib(lambda: parse_message(big)):.0f} MiB",
            "",
            "",
        )
    )
    table.append(
        (
            f"memory: take a {mb:.1f} MB message (reply, 18 MB file)",
            1,
            f"peak {peak_mib(lambda: take_message(big)):.0f} MiB",
            "",
            "",
        )
    )
    table.append(
        (
            f"memory: take a {over_mb:.1f} MB message (over the limit)",
            1,
            f"peak {peak_mib(lambda: take_message(over)):.0f} MiB",
            "",
            "",
        )
    )
    print()
    print(format_table(("measure", "n", "throughput / value", "p50 ms", "p95 ms"), table))


if __name__ == "__main__":
    main()
