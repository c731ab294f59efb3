"""The relay: delivers due outbox rows over SMTP, one claimed row at a time.

Contract: at-least-once delivery with a stable Message-ID. A row is claimed with a conditional
UPDATE (a short lease in ``claimed_until``) before it is sent, so relays running at the same time
(the embedded runner, Celery workers, ``deliver_outbox`` by hand) never send the same row twice
while it is claimed. If the process dies after the SMTP server accepted the message but before the
row is marked sent, the lease expires and the row is sent again with the same Message-ID
(``<outbox-<id>@supportdesk>``), which lets receivers and our own intake deduplicate. Losing mail
is the worse failure, so we accept that rare duplicate.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
from supportdesk.outbox.services import render_deferred

logger = logging.getLogger(__name__)

# Longer than any SMTP conversation for one message (EMAIL_TIMEOUT is 10 s by default): a lease
# that expired mid-send would let a second relay send the same row.
CLAIM_LEASE = datetime.timedelta(minutes=5)
MAX_BACKOFF = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, another attempt is scheduled
    failed: int = 0  # failed for the last allowed time: the row is now in state "failed"
    skipped: int = 0  # claimed by another relay between selection and claim

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def backoff_delay(attempts: int) -> datetime.timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: base·2^(n-1), at most 1 h."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return min(datetime.timedelta(seconds=seconds), MAX_BACKOFF)


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for one outbox row: text body, HTML alternative, our identifying headers."""
    headers = {
        # The same on every retry, so a resend after a crash can be recognized as a duplicate.
        "Message-ID": message.message_id,
        # Marks our mail as automatic (RFC 3834) so autoresponders do not answer it.
        "Auto-Submitted": "auto-generated",
    }
    if message.ticket is not None:
        headers["X-Supportdesk-Ticket"] = message.ticket.number
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.recipients),
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


def deliver_due(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 50,
    connection: BaseEmailBackend | None = None,
) -> DeliveryReport:
    """Deliver up to ``batch_size`` pending rows due at ``now``, over one SMTP connection.

    Each row is claimed before it is sent and every attempt is recorded as a DeliveryAttempt.
    A failed row is retried after ``backoff_delay``; after OUTBOX_MAX_ATTEMPTS it becomes failed.
    If the SMTP server cannot be reached at all, the pass stops after recording that failure:
    the other rows were not attempted and stay due for the next pass.
    """
    now = now or timezone.now()
    due_ids = list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:batch_size]
    )
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    if not due_ids:
        return DeliveryReport()

    connection = connection or get_connection()
    connected = False
    try:
        for message_id in due_ids:
            message = _claim(message_id, now=now)
            if message is None:
                counts["skipped"] += 1
                continue
            started_at = timezone.now()
            try:
                if not connected:
                    stage = "connect"
                    connection.open()
                    connected = True
                stage = "render"
                message = render_deferred(message)
                stage = "send"
                if connection.send_messages([build_email(message)]) != 1:
                    raise RuntimeError("the e-mail backend accepted no message (no recipients?)")
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("outbox %s: delivery failed: %s", message.pk, error)
                counts[_record_failure(message, now=now, started_at=started_at, error=error)] += 1
                # Start the next message on a fresh connection: the failure may have left this
                # one mid-conversation.
                _close_quietly(connection)
                connected = False
                if stage == "connect":
                    break
            else:
                _record_success(message, started_at=started_at)
                counts["sent"] += 1
    finally:
        _close_quietly(connection)
    return DeliveryReport(**counts)


def _close_quietly(connection: BaseEmailBackend) -> None:
    # QUIT on a connection the server already dropped can raise; the outcome is recorded by then.
    try:
        connection.close()
    except Exception:
        logger.debug("closing the SMTP connection failed", exc_info=True)


def _claim(message_id: int, *, now: datetime.datetime) -> OutboxMessage | None:
    """Take the row for this relay; None if another relay has it or it is no longer due."""
    claimed = (
        OutboxMessage.objects.filter(
            id=message_id, state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        # The lease runs from the real clock: late in a long batch, ``now`` is minutes old.
        .update(claimed_until=max(now, timezone.now()) + CLAIM_LEASE)
    )
    if not claimed:
        return None
    return OutboxMessage.objects.select_related("ticket").get(id=message_id)


def _record_success(message: OutboxMessage, *, started_at: datetime.datetime) -> None:
    finished_at = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message, started_at=started_at, finished_at=finished_at, success=True
        )
        OutboxMessage.objects.filter(id=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=finished_at, claimed_until=None
        )


def _record_failure(
    message: OutboxMessage,
    *,
    now: datetime.datetime,
    started_at: datetime.datetime,
    error: str,
) -> str:
    """Record the failed attempt, schedule the retry or give up; returns the report counter."""
    attempts = message.attempts + 1
    gave_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message,
            started_at=started_at,
            finished_at=timezone.now(),
            success=False,
            error=error,
        )
        # Conditional on "pending": if our lease ran out and another relay has delivered the row
        # meanwhile, its success stands.
        OutboxMessage.objects.filter(id=message.pk, state=OutboxMessage.State.PENDING).update(
            attempts=attempts,
            last_error=error,
            claimed_until=None,
            state=OutboxMessage.State.FAILED if gave_up else OutboxMessage.State.PENDING,
            next_attempt_at=None if gave_up else now + backoff_delay(attempts),
        )
    if gave_up:
        logger.error("outbox %s: gave up after %s attempts: %s", message.pk, attempts, error)
        return "failed"
    return "retrying"


def outbox_health(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Numbers for monitoring: backlog, the age of its oldest row, rows retrying and failed."""
    now = now or timezone.now()
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "pending": pending.count(),
        "oldest_pending_seconds": max(int((now - oldest).total_seconds()), 0) if oldest else 0,
        "retrying": pending.filter(attempts__gt=0).count(),
        "failed": OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED).count(),
    }
