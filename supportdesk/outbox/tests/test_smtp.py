"""The relay against a real SMTP server on loopback (aiosmtpd), including outages and races."""

from __future__ import annotations

import datetime
import email
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
from supportdesk.outbox.relay import deliver_due
from supportdesk.outbox.services import enqueue_email

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def free_port() -> int:
    """A loopback port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.sessions = 0  # SMTP conversations, counted at EHLO
        self._controller: Controller | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> SMTPSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def registered_context(number: str = "SD-2026-000042") -> dict:
    """What ticket_registered needs, as plain objects: the outbox does not care about its origin."""
    ticket = SimpleNamespace(
        number=number,
        subject="Licence server does not start",
        product=SimpleNamespace(name="Guardant"),
        version="8.1",
    )
    return {
        "ticket": ticket,
        "priority_name": "High",
        "level_name": "Standard",
        "ticket_url": f"http://127.0.0.1:8000/portal/tickets/{number}/",
    }


def enqueue(number: str = "SD-2026-000042", to: str = "customer@example.com") -> OutboxMessage:
    with transaction.atomic():
        return enqueue_email(
            template="ticket_registered",
            recipients=[to],
            language="en",
            context=registered_context(number),
        )


@pytest.fixture
def smtp_server(settings):
    sink = SMTPSink().start()
    use_smtp(settings, sink.port)
    yield sink
    sink.stop()


@pytest.mark.django_db
def test_delivers_once_with_text_html_and_headers(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Support <support@vendor.example>"
    message = enqueue()

    report = deliver_due()

    assert report.as_dict() == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0}
    [received] = smtp_server.wait_for(1)
    assert received["Subject"] == (
        "[SD-2026-000042] Your request is registered: Licence server does not start"
    )
    assert received["Message-ID"] == message.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["From"] == "Support <support@vendor.example>"
    assert received["To"] == "customer@example.com"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Your request is registered as SD-2026-000042." in text
    assert "Your request is registered as <strong>SD-2026-000042</strong>." in html
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert message.sent_at is not None
    assert message.attempts == 0
    assert list(message.deliveries.values_list("success", "error")) == [(True, "")]

    assert deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_one_smtp_connection_per_batch(smtp_server):
    messages = [enqueue(number=f"SD-2026-{n:06d}") for n in range(1, 4)]

    assert deliver_due().sent == 3

    received = smtp_server.wait_for(3)
    assert [m["Message-ID"] for m in received] == [m.message_id for m in messages]
    assert smtp_server.sessions == 1


@pytest.mark.django_db
def test_an_unreachable_server_stops_the_pass_after_one_attempt(settings):
    use_smtp(settings, free_port())
    with time_machine.travel(T0, tick=False):
        first, second, third = (enqueue(number=f"SD-2026-{n:06d}") for n in range(1, 4))

        assert deliver_due().as_dict() == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}

    # The others were not attempted: no attempt is charged to them and they stay due.
    assert list(
        OutboxMessage.objects.order_by("id").values_list("id", "attempts", "next_attempt_at")
    ) == [
        (first.pk, 1, T0 + datetime.timedelta(seconds=settings.OUTBOX_BACKOFF_SECONDS)),
        (second.pk, 0, T0),
        (third.pk, 0, T0),
    ]
    assert DeliveryAttempt.objects.count() == 1


@pytest.mark.django_db
def test_server_down_then_up_retries_with_backoff_and_delivers_once(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    sink = SMTPSink()  # not started: connections to its port are refused
    use_smtp(settings, sink.port)
    with time_machine.travel(T0, tick=False) as traveller:
        message = enqueue()

        report = deliver_due()

        assert report.as_dict() == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}
        message.refresh_from_db()
        assert message.state == OutboxMessage.State.PENDING
        assert message.attempts == 1
        assert message.next_attempt_at == T0 + datetime.timedelta(seconds=30)
        assert message.claimed_until is None
        assert message.last_error.startswith("ConnectionRefusedError")
        [attempt] = message.deliveries.all()
        assert (attempt.success, attempt.started_at, attempt.finished_at) == (False, T0, T0)
        assert attempt.error == message.last_error

        sink.start()
        try:
            traveller.move_to(T0 + datetime.timedelta(seconds=29))
            assert deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
            assert sink.messages == []

            traveller.move_to(T0 + datetime.timedelta(seconds=30))
            assert deliver_due().as_dict() == {"sent": 1, "retrying": 0, "failed": 0, "skipped": 0}
            traveller.move_to(T0 + datetime.timedelta(hours=2))
            assert deliver_due().sent == 0
            assert len(sink.wait_for(1)) == 1
        finally:
            sink.stop()
    assert sink.messages[0]["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == (
        OutboxMessage.State.SENT,
        1,
        T0 + datetime.timedelta(seconds=30),
    )
    assert list(message.deliveries.values_list("success", flat=True)) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_deliver_every_message_exactly_once(smtp_server):
    messages = [enqueue(number=f"SD-2026-{n:06d}") for n in range(1, 31)]
    start = threading.Barrier(2)
    reports = []
    errors = []

    def relay() -> None:
        try:
            start.wait()
            reports.append(deliver_due(batch_size=100))
        except Exception as exc:  # surfaced by the assertion below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    received = smtp_server.wait_for(30)
    assert sorted(m["Message-ID"] for m in received) == sorted(m.message_id for m in messages)
    assert sum(r.sent for r in reports) == 30
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == 30
    assert DeliveryAttempt.objects.count() == 30


@pytest.mark.django_db
def test_rolled_back_change_leaves_no_email(smtp_server):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        enqueue_email(
            template="ticket_registered",
            recipients=["customer@example.com"],
            language="en",
            context=registered_context(),
        )
        raise Refused

    assert OutboxMessage.objects.count() == 0
    assert deliver_due().sent == 0
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue_email(
            template="ticket_registered",
            recipients=["customer@example.com"],
            language="en",
            context=registered_context(),
        )
    assert OutboxMessage.objects.count() == 0
