"""Automatic answers to incoming mail: polite, in the sender's language, threaded to the message
they answer, marked ``Auto-Submitted: auto-replied`` and limited per address and hour."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from supportdesk.contracts.entitlements import hotlines_for
from supportdesk.mail.models import InboundMessage
from supportdesk.mail.parsing import ParsedMail
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import Channel, ChannelRule, HotlineNumber, Regulation
from supportdesk.regulations.models import SupportLevel as Level


def answers_left(address: str, now: dt.datetime) -> int:
    """How many more automatic answers ``address`` may get this hour."""
    since = now - dt.timedelta(hours=1)
    sent = InboundMessage.objects.filter(
        sender=address, answered=True, received_at__gte=since
    ).count()
    return max(settings.MAIL_AUTO_ANSWERS_PER_HOUR - sent, 0)


def send_answer(
    *,
    record: InboundMessage,
    mail: ParsedMail,
    template: str,
    language: str,
    context: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """Write the answer into the outbox, unless the address had its share this hour. Marks
    ``record.answered``; returns whether an answer was written."""
    if not mail.sender or answers_left(mail.sender, now) <= 0:
        return False
    headers = {"Auto-Submitted": "auto-replied"}
    if mail.message_id:
        headers["In-Reply-To"] = mail.message_id
        headers["References"] = mail.message_id
    enqueue_email(
        template=template,
        recipients=[mail.sender],
        language=language if language in ("ru", "en") else "en",
        context={"subject": mail.subject, **context},
        headers=headers,
    )
    record.answered = True
    return True


def portal_address(regulation: Regulation) -> str:
    rule = (
        ChannelRule.objects.filter(regulation=regulation, channel=Channel.PORTAL)
        .exclude(address="")
        .first()
    )
    return rule.address if rule is not None else settings.SITE_URL + "/"


def hotlines(regulation: Regulation, level: Level | None) -> list[HotlineNumber]:
    """The numbers the sender may call: their level's, or those offered to every level."""
    if level is not None:
        return list(hotlines_for(level=level))
    return list(
        HotlineNumber.objects.filter(
            regulation=regulation, product_line__isnull=True, levels__isnull=True
        ).order_by("order", "country")
    )
