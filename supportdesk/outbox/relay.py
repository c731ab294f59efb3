"""The relay: delivers due outbox rows over SMTP, one claimed row at a time.

Contract: at-least-once delivery with a stable Message-ID. A row is claimed with a conditional
UPDATE (a short lease in ``claimed_until``) before it is sent, so relays running at the same time
(the embedded runner, Celery workers, ``deliver_outbox`` by hand) never send the same row twice
while it is claimed. If the process dies after the SMTP server accepted the message but before the
row is marked sent, the lease expires and the row is sent again with the same Message-ID
(``<outbox-<id>@supportdesk>``), which lets receivers and our own intake deduplicate. Losing mail
is the worse failure, so we accept that rare duplicate.

Mail is never abandoned silently. A temporary failure (no connection, a timeout, a 4xx answer) is
retried with a doubling backoff OUTBOX_MAX_ATTEMPTS times; then the row moves to the slow schedule
(every OUTBOX_SLOW_RETRY_SECONDS, one hour, for OUTBOX_SLOW_RETRY_HOURS, three days) and counts as
an alert on the health page. A permanent answer (5xx to the recipients or the message) fails the
row at once, with the server's reply recorded. A failed row stays until a manager re-sends it
(``services.resend_message``).
"""

from __future__ import annotations

import datetime
import logging
import re
import smtplib
from dataclasses import asdict, dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
from supportdesk.outbox.tokens import reply_address_for

logger = logging.getLogger(__name__)

# Longer than any SMTP conversation for one message (EMAIL_TIMEOUT is 10 s by default): a lease
# that expired mid-send would let a second relay send the same row.
CLAIM_LEASE = datetime.timedelta(minutes=5)
MAX_BACKOFF = datetime.timedelta(hours=1)
# The extra headers an outbox row may carry (automatic answers to incoming mail), and what each
# value must look like: never a line break, so no value can add a header of its own.
_MSG_ID = r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>"
EXTRA_HEADERS = {
    "In-Reply-To": re.compile(rf"^{_MSG_ID}$"),
    "References": re.compile(rf"^{_MSG_ID}(?: {_MSG_ID}){{0,9}}$"),
    "Auto-Submitted": re.compile(r"^(?:auto-generated|auto-replied)$"),
}


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, another attempt is scheduled
    failed: int = 0  # failed for the last allowed time: the row is now in state "failed"
    skipped: int = 0  # claimed by another relay between selection and claim

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Failure:
    """What went wrong in one attempt, as recorded: the text, the SMTP code if the server
    answered, and whether the answer was permanent for this message."""

    error: str
    smtp_code: int | None = None
    permanent: bool = False


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def classify_failure(exc: BaseException) -> Failure:
    """Tell a permanent refusal of this message from a temporary failure.

    Permanent: a 5xx answer to the recipients (all refused) or to the message data: retrying the
    same message cannot help. A 5xx to the sender, HELO or authentication is about our
    configuration, not the message, so it stays temporary (fixing the settings makes the retries
    succeed). 4xx answers, refused connections, timeouts and disconnects are temporary.
    """
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = {
            address: (code, _reply_text(reply)) for address, (code, reply) in exc.recipients.items()
        }
        codes = [code for code, _reply in replies.values()]
        text = "; ".join(f"{address}: {code} {reply}" for address, (code, reply) in replies.items())
        code = max(codes) if codes else None
        permanent = bool(codes) and all(c >= 500 for c in codes)
        return Failure(f"{name}: {text}", smtp_code=code, permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        text = f"{name}: {code} {_reply_text(exc.smtp_error)}"
        return Failure(
            text, smtp_code=code, permanent=isinstance(exc, smtplib.SMTPDataError) and code >= 500
        )
    return Failure(f"{name}: {exc}")


def backoff_delay(attempts: int) -> datetime.timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: base·2^(n-1), at most 1 h."""
    seconds = settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return min(datetime.timedelta(seconds=seconds), MAX_BACKOFF)


def build_email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The e-mail for one outbox row: text body, HTML alternative, our identifying headers."""
    headers = {
        # The same on every retry, so a resend after a crash can be recognized as a duplicate.
        "Message-ID": message.message_id,
        # Marks our mail as automatic (RFC 3834) so autoresponders do not answer it; an
        # automatic answer to incoming mail says auto-replied (its row's headers).
        "Auto-Submitted": "auto-generated",
    }
    for name, pattern in EXTRA_HEADERS.items():
        value = str((message.headers or {}).get(name, ""))
        if value and pattern.match(value):
            headers[name] = value
    reply_to: list[str] = []
    if message.ticket is not None:
        headers["X-Supportdesk-Ticket"] = message.ticket.number
        # A reply goes to the tagged address, which carries the ticket with our signature.
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        if "@" in address:
            reply_to = [reply_address_for(message.ticket.number, address)]
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.recipients),
        headers=headers,
        reply_to=reply_to,
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
    A failed row is retried after ``backoff_delay``; after OUTBOX_MAX_ATTEMPTS it moves to the
    slow schedule, and fails when that runs out or at once on a permanent SMTP refusal.
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
                stage = "send"
                if connection.send_messages([build_email(message)]) != 1:
                    raise RuntimeError("the e-mail backend accepted no message (no recipients?)")
            except Exception as exc:
                failure = classify_failure(exc)
                logger.warning("outbox %s: delivery failed: %s", message.pk, failure.error)
                counts[
                    _record_failure(message, now=now, started_at=started_at, failure=failure)
                ] += 1
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


def _next_step(
    message: OutboxMessage, *, now: datetime.datetime, attempts: int, failure: Failure
) -> dict:
    """The row's fields after a failed attempt: the next fast retry, the slow schedule, or
    failed (a permanent refusal, or the slow schedule ran out)."""
    failed = {"state": OutboxMessage.State.FAILED, "next_attempt_at": None}
    if failure.permanent:
        return {**failed, "permanent_failure": True}
    if attempts < settings.OUTBOX_MAX_ATTEMPTS:
        return {"next_attempt_at": now + backoff_delay(attempts)}
    slow_since = message.slow_since or now
    if now >= slow_since + datetime.timedelta(hours=settings.OUTBOX_SLOW_RETRY_HOURS):
        return failed
    interval = datetime.timedelta(seconds=settings.OUTBOX_SLOW_RETRY_SECONDS)
    return {"slow_since": slow_since, "next_attempt_at": now + interval}


def _record_failure(
    message: OutboxMessage,
    *,
    now: datetime.datetime,
    started_at: datetime.datetime,
    failure: Failure,
) -> str:
    """Record the failed attempt, schedule the retry or give up; returns the report counter."""
    attempts = message.attempts + 1
    step = _next_step(message, now=now, attempts=attempts, failure=failure)
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message,
            started_at=started_at,
            finished_at=timezone.now(),
            success=False,
            error=failure.error,
            smtp_code=failure.smtp_code,
            permanent=failure.permanent,
        )
        # Conditional on "pending": if our lease ran out and another relay has delivered the row
        # meanwhile, its success stands.
        OutboxMessage.objects.filter(id=message.pk, state=OutboxMessage.State.PENDING).update(
            attempts=attempts, last_error=failure.error, claimed_until=None, **step
        )
    if step.get("state") == OutboxMessage.State.FAILED:
        logger.error(
            "outbox %s: gave up after %s attempts: %s", message.pk, attempts, failure.error
        )
        return "failed"
    if "slow_since" in step and message.slow_since is None:
        logger.error(
            "outbox %s: fast retries used up, now retried hourly: %s", message.pk, failure.error
        )
    return "retrying"


def outbox_health(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Numbers for monitoring: backlog, the age of its oldest row, rows retrying fast, rows on
    the slow schedule, failed rows, and the alerts (slow + failed: mail that needs a person)."""
    now = now or timezone.now()
    pending = Q(state=OutboxMessage.State.PENDING)
    numbers = OutboxMessage.objects.filter(
        Q(state=OutboxMessage.State.PENDING) | Q(state=OutboxMessage.State.FAILED)
    ).aggregate(
        pending=Count("id", filter=pending),
        oldest=Min("created_at", filter=pending),
        retrying=Count("id", filter=pending & Q(attempts__gt=0, slow_since__isnull=True)),
        slow=Count("id", filter=pending & Q(slow_since__isnull=False)),
        failed=Count("id", filter=Q(state=OutboxMessage.State.FAILED)),
    )
    oldest = numbers["oldest"]
    return {
        "pending": numbers["pending"],
        "oldest_pending_seconds": max(int((now - oldest).total_seconds()), 0) if oldest else 0,
        "retrying": numbers["retrying"],
        "slow": numbers["slow"],
        "failed": numbers["failed"],
        "alerts": numbers["slow"] + numbers["failed"],
    }
