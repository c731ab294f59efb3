"""Writing e-mails into the outbox, inside the caller's transaction.

Services never talk to SMTP: they call ``enqueue_email`` and the relay (``relay.py``) delivers
after commit, with retries. A rolled-back change therefore never sends its e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from supportdesk.audit.services import Action, record
from supportdesk.outbox.models import OutboxMessage, Resend


def render_email(*, template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render templates/emails/<template>/{subject.txt,body.txt,body.html} in ``language``."""
    with translation.override(language):
        subject: str = render_to_string(f"emails/{template}/subject.txt", context)
        text = render_to_string(f"emails/{template}/body.txt", context)
        html = render_to_string(f"emails/{template}/body.html", context)
    # A subject is one line, whatever a template or a customer-typed value put into it.
    subject = " ".join(subject.split())
    return subject, text, html


def enqueue_email(
    *,
    template: str,
    recipients: Sequence[str],
    language: str,
    context: dict[str, Any],
    ticket: Any = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage:
    """Render one of our e-mail templates and write it into the outbox (see enqueue_message)."""
    subject, text, html = render_email(template=template, language=language, context=context)
    return enqueue_message(
        template=template,
        recipients=recipients,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        ticket=ticket,
        headers=headers,
    )


def enqueue_message(
    *,
    template: str,
    recipients: Sequence[str],
    language: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    ticket: Any = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage:
    """Write one rendered e-mail into the outbox. Must run inside the transaction of the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue_email must run inside the transaction that caused the e-mail")
    return OutboxMessage.objects.create(
        template=template,
        recipients=list(recipients),
        language=language,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
        ticket=ticket,
        headers=dict(headers or {}),
        next_attempt_at=timezone.now(),
    )


class ResendRefused(Exception):
    """The message cannot be re-sent now; the text says why."""


def resend_message(*, message_id: int, actor: Any) -> OutboxMessage:
    """Deliver a failed (or slow-scheduled) message again, from a fresh retry budget.

    The caller has checked that ``actor`` is a manager or administrator (access.MANAGING_ROLES). A
    ``Resend`` row records who asked, when, and what the message had failed with; the relay
    picks the row up at its next pass. A sent message, or one a relay is delivering right now,
    is refused: re-sending those could deliver twice.
    """
    now = timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise OutboxMessage.DoesNotExist
        if message.state == OutboxMessage.State.SENT:
            raise ResendRefused(_("This e-mail was delivered already."))
        if message.claimed_until is not None and message.claimed_until > now:
            raise ResendRefused(_("A relay is delivering this e-mail right now."))
        if message.state == OutboxMessage.State.PENDING and message.slow_since is None:
            raise ResendRefused(_("This e-mail is already being retried."))
        Resend.objects.create(
            message=message,
            requested_at=now,
            requested_by=actor,
            previous_state=message.state,
            previous_attempts=message.attempts,
            previous_error=message.last_error,
        )
        message.state = OutboxMessage.State.PENDING
        message.attempts = 0
        message.slow_since = None
        message.permanent_failure = False
        message.next_attempt_at = now
        message.save(
            update_fields=[
                "state",
                "attempts",
                "slow_since",
                "permanent_failure",
                "next_attempt_at",
            ]
        )
        record(Action.RESEND, actor=actor, target=message, detail=message.last_error)
    return message
