"""Writing e-mails into the outbox, inside the caller's transaction.

Services never talk to SMTP: they call ``enqueue_email`` and the relay (``relay.py``) delivers
after commit, with retries. A rolled-back change therefore never sends its e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from supportdesk.outbox.models import SUBJECT_MAX_LENGTH, OutboxMessage

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
        next_attempt_at=timezone.now(),
    )
