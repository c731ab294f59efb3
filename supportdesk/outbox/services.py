"""Writing e-mails into the outbox, inside the caller's transaction.

Services never talk to SMTP: they call ``enqueue_email`` and the relay (``relay.py``) delivers
after commit, with retries. A rolled-back change therefore never sends its e-mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from supportdesk.audit.services import Action, record
from supportdesk.outbox.models import SUBJECT_MAX_LENGTH, OutboxMessage, Resend

# The template engine without autoescaping (config/settings.py TEMPLATES).
TEXT_ENGINE = "text"


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (no CR, LF or other line breaks: nothing can start a header) and at
    most ``limit`` characters, cut at a word with an ellipsis when it is longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def render_email(*, template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render templates/emails/<template>/{subject.txt,body.txt,body.html} in ``language``.

    The subject and the text part are plain text, rendered without HTML escaping (the ``text``
    template engine): a customer's "Q&A <draft>" arrives as typed. Only the HTML part escapes."""
    with translation.override(language):
        subject = render_to_string(f"emails/{template}/subject.txt", context, using=TEXT_ENGINE)
        text = render_to_string(f"emails/{template}/body.txt", context, using=TEXT_ENGINE)
        html = render_to_string(f"emails/{template}/body.html", context)
    # A subject is one line, whatever a template or a customer-typed value put into it.
    return one_line(subject, SUBJECT_MAX_LENGTH), text, html


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
        subject=one_line(subject, SUBJECT_MAX_LENGTH),
        body_text=body_text,
        body_html=body_html,
        ticket=ticket,
        headers=dict(headers or {}),
        next_attempt_at=timezone.now(),
    )


# --- Deferred rendering ---------------------------------------------------------------------
#
# Rendering a template triplet costs milliseconds; a sweep that fires thousands of deadlines at
# once writes its rows with the context instead, and the relay renders each one just before its
# first delivery (``render_deferred``). The row still commits with the change that caused it.
# The context holds plain JSON values and datetimes; the ticket is the row's own foreign key.

_DATETIME = "__datetime__"


def freeze_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context as JSON: datetimes tagged; anything else must be JSON already."""
    frozen: dict[str, Any] = {}
    for key, value in context.items():
        if isinstance(value, dt.datetime):
            frozen[key] = {_DATETIME: value.isoformat()}
        elif value is None or isinstance(value, str | int | float | bool | list):
            frozen[key] = value
        else:
            raise TypeError(f"deferred e-mail context {key!r}: {type(value).__name__}")
    return frozen


def thaw_context(frozen: dict[str, Any]) -> dict[str, Any]:
    return {
        key: dt.datetime.fromisoformat(value[_DATETIME])
        if isinstance(value, dict) and _DATETIME in value
        else value
        for key, value in frozen.items()
    }


def defer_email(
    *,
    template: str,
    recipients: Sequence[str],
    language: str,
    context: dict[str, Any],
    ticket: Any = None,
) -> OutboxMessage:
    """An unsaved outbox row that the relay renders at delivery (``ticket`` is in its context
    as ``ticket``). Write it with ``enqueue_deferred`` inside the change's transaction."""
    return OutboxMessage(
        template=template,
        recipients=list(recipients),
        language=language,
        subject="",
        body_text="",
        context=freeze_context(context),
        ticket=ticket,
        next_attempt_at=timezone.now(),
    )


def enqueue_deferred(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Write rows made by ``defer_email`` in one statement. Must run inside the transaction of
    the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue_deferred must run inside the transaction that caused it")
    return OutboxMessage.objects.bulk_create(messages)


def render_deferred(message: OutboxMessage) -> OutboxMessage:
    """Render a deferred row's text from its context and store it (the relay, before sending);
    a rendered row is returned as it is."""
    if message.context is None:
        return message
    context = {**thaw_context(message.context), "ticket": message.ticket}
    subject, text, html = render_email(
        template=message.template, language=message.language, context=context
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        subject=subject[:300], body_text=text, body_html=html, context=None
    )
    message.subject, message.body_text, message.body_html = subject[:300], text, html
    message.context = None
    return message


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
