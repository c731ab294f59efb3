"""The relay's rules: backoff, claims, recorded attempts, health numbers (locmem mail backend)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
from supportdesk.outbox.relay import (
    CLAIM_LEASE,
    backoff_delay,
    build_email,
    deliver_due,
    outbox_health,
)
from supportdesk.outbox.tests.test_smtp import T0, enqueue, free_port, use_smtp
from supportdesk.outbox.tokens import message_id_for, reply_address_for
from supportdesk.tickets.models import Ticket

NOTHING = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}


def seconds(n: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=n)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600), (20, 3600)],
)
def test_backoff_doubles_from_the_base_and_is_capped_at_one_hour(settings, attempts, expected):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    assert backoff_delay(attempts) == seconds(expected)


@pytest.mark.django_db
def test_failed_attempts_follow_the_backoff_schedule(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    settings.OUTBOX_MAX_ATTEMPTS = 5
    use_smtp(settings, free_port())
    scheduled = []
    with time_machine.travel(T0, tick=False) as traveller:
        message = enqueue()
        for _ in range(5):
            traveller.move_to(message.next_attempt_at)
            deliver_due()
            message.refresh_from_db()
            scheduled.append(message.next_attempt_at)

    assert scheduled == [
        T0 + seconds(30),
        T0 + seconds(30 + 60),
        T0 + seconds(30 + 60 + 120),
        T0 + seconds(30 + 60 + 120 + 240),
        # the fifth failure used up the quick retries: the next attempt is an hour later
        T0 + seconds(450 + 3600),
    ]
    assert message.state == OutboxMessage.State.PENDING
    assert message.slow_since == T0 + seconds(450)
    attempts = list(DeliveryAttempt.objects.filter(message=message).order_by("started_at"))
    assert [a.started_at for a in attempts] == [
        T0,
        T0 + seconds(30),
        T0 + seconds(90),
        T0 + seconds(210),
        T0 + seconds(450),
    ]
    assert all(not a.success and a.error.startswith("ConnectionRefusedError") for a in attempts)


@pytest.mark.django_db
def test_success_is_recorded_and_the_row_marked_sent():
    with time_machine.travel(T0, tick=False):
        message = enqueue()
        assert deliver_due().as_dict() == {**NOTHING, "sent": 1}

    message.refresh_from_db()
    assert (message.state, message.sent_at, message.claimed_until, message.attempts) == (
        OutboxMessage.State.SENT,
        T0,
        None,
        0,
    )
    assert list(
        message.deliveries.values_list("started_at", "finished_at", "success", "error")
    ) == [(T0, T0, True, "")]
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"] == message.message_id


@pytest.mark.django_db
def test_due_rows_go_in_order_of_due_time_and_batch_size_is_respected():
    with time_machine.travel(T0, tick=False) as traveller:
        first = enqueue(number="SD-2026-000001")
        second = enqueue(number="SD-2026-000002")
        OutboxMessage.objects.filter(id=first.pk).update(next_attempt_at=T0 + seconds(5))
        not_yet = enqueue(number="SD-2026-000003")
        OutboxMessage.objects.filter(id=not_yet.pk).update(next_attempt_at=T0 + seconds(60))
        traveller.move_to(T0 + seconds(10))

        assert deliver_due(batch_size=1).sent == 1
        assert deliver_due(batch_size=10).sent == 1
        assert deliver_due(batch_size=10).sent == 0

    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        second.message_id,
        first.message_id,
    ]


@pytest.mark.django_db
def test_a_row_claimed_by_another_relay_is_left_alone_until_its_lease_expires():
    with time_machine.travel(T0, tick=False) as traveller:
        message = enqueue()
        # Another relay claimed the row and died after the SMTP server accepted the message.
        OutboxMessage.objects.filter(id=message.pk).update(claimed_until=T0 + CLAIM_LEASE)

        assert deliver_due().as_dict() == NOTHING
        traveller.move_to(T0 + CLAIM_LEASE - seconds(1))
        assert deliver_due().as_dict() == NOTHING
        traveller.move_to(T0 + CLAIM_LEASE + seconds(1))
        assert deliver_due().as_dict() == {**NOTHING, "sent": 1}

    # At least once: re-sent with the same Message-ID, so the receiver can drop the duplicate.
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message.message_id]


def test_email_headers_carry_message_id_auto_submitted_and_ticket_number(settings):
    settings.DEFAULT_FROM_EMAIL = "Support <support@vendor.example>"
    message = OutboxMessage(
        pk=41,
        subject="[SD-2026-000007] Your request is registered: boot loop",
        body_text="text",
        body_html="<p>html</p>",
        recipients=["a@example.com", "b@example.com"],
        ticket=Ticket(pk=7, number="SD-2026-000007"),
    )

    email = build_email(message).message()

    assert email["Message-ID"] == message_id_for(41)
    assert email["Message-ID"].startswith("<outbox-41.")
    assert email["Auto-Submitted"] == "auto-generated"
    assert email["X-Supportdesk-Ticket"] == "SD-2026-000007"
    assert email["From"] == "Support <support@vendor.example>"
    assert email["Reply-To"] == reply_address_for("SD-2026-000007", "support@vendor.example")
    assert email["To"] == "a@example.com, b@example.com"
    assert [part.get_content_type() for part in email.get_payload()] == ["text/plain", "text/html"]


def test_email_without_ticket_has_no_ticket_header():
    message = OutboxMessage(pk=3, subject="s", body_text="t", recipients=["a@example.com"])
    email = build_email(message).message()
    assert "X-Supportdesk-Ticket" not in email
    assert email.get_content_type() == "text/plain"


@pytest.mark.django_db
def test_health_counts_backlog_its_age_retries_and_failures():
    assert outbox_health() == {
        "pending": 0,
        "oldest_pending_seconds": 0,
        "retrying": 0,
        "slow": 0,
        "failed": 0,
        "alerts": 0,
    }
    with time_machine.travel(T0, tick=False) as traveller:
        oldest = enqueue(number="SD-2026-000001")
        traveller.move_to(T0 + seconds(40))
        enqueue(number="SD-2026-000002")
        failed = enqueue(number="SD-2026-000003")
        sent = enqueue(number="SD-2026-000004")
        slow = enqueue(number="SD-2026-000005")
    OutboxMessage.objects.filter(id=oldest.pk).update(attempts=2, next_attempt_at=T0 + seconds(600))
    OutboxMessage.objects.filter(id=slow.pk).update(attempts=9, slow_since=T0)
    OutboxMessage.objects.filter(id=failed.pk).update(state=OutboxMessage.State.FAILED)
    OutboxMessage.objects.filter(id=sent.pk).update(state=OutboxMessage.State.SENT)

    assert outbox_health(now=T0 + seconds(100.5)) == {
        "pending": 3,
        "oldest_pending_seconds": 100,
        "retrying": 1,
        "slow": 1,
        "failed": 1,
        "alerts": 2,
    }


@pytest.mark.django_db
def test_deliver_outbox_command_prints_the_report_and_health(capsys):
    with time_machine.travel(T0, tick=False), translation.override("en"):
        enqueue()
        call_command("deliver_outbox")

    out = capsys.readouterr().out
    assert "Sent: 1, retry scheduled: 0, failed: 0, claimed by another relay: 0." in out
    assert "Outbox: 0 pending (oldest 0 s), 0 retrying, 0 failed." in out


@pytest.mark.django_db
def test_deliver_outbox_task_runs_one_pass():
    from supportdesk.outbox.tasks import deliver_outbox

    enqueue()
    assert deliver_outbox() == {**NOTHING, "sent": 1}
    assert len(mail.outbox) == 1


def test_extra_headers_pass_only_when_well_formed(settings):
    message = OutboxMessage(
        pk=42,
        subject="answer",
        body_text="text",
        recipients=["a@example.com"],
        headers={
            "In-Reply-To": "<abc@example.com>",
            "References": "<x@example.com>\r\nBcc: victim@example.com",
            "Auto-Submitted": "auto-replied",
            "Bcc": "victim@example.com",
        },
    )

    email = build_email(message).message()

    assert email["In-Reply-To"] == "<abc@example.com>"
    assert email["Auto-Submitted"] == "auto-replied"
    assert email["References"] is None
    assert email["Bcc"] is None
    assert "victim" not in email.as_string()
