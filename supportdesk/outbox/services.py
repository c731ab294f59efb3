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

from supportdesk.outbox.models import OutboxMessage


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
