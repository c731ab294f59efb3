"""Signed threading tokens in our outgoing mail, read back by mail intake.

A reply is threaded to a ticket only through something we signed: the Message-ID of one of our
e-mails (``<outbox-<id>.<sig>@supportdesk>``, quoted by the reply's In-Reply-To / References) or
the tagged Reply-To address (``support+<number>.<sig>@vendor``). A guessed outbox id or ticket
number without the signature attaches nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

MESSAGE_ID_DOMAIN = "supportdesk"
SIGNATURE_LENGTH = 16
MESSAGE_ID = re.compile(r"^<outbox-(\d{1,18})\.([0-9a-f]{16})@supportdesk>$")
# What a ticket number may look like in a tagged address's local part.
TAG = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]{0,39})\.([0-9a-fA-F]{16})$")


def sign(value: str) -> str:
    key = f"supportdesk.outbox.tokens:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def message_id_for(outbox_id: int) -> str:
    """The stable, signed Message-ID of an outbox row: the same on every retry."""
    return f"<outbox-{outbox_id}.{sign(f'message:{outbox_id}')}@{MESSAGE_ID_DOMAIN}>"


def outbox_id_from(message_id: str) -> int | None:
    """The outbox id of one of our Message-IDs when its signature holds, else None."""
    match = MESSAGE_ID.match(message_id.strip())
    if match is None:
        return None
    outbox_id, signature = match.groups()
    if not hmac.compare_digest(signature, sign(f"message:{outbox_id}")):
        return None
    return int(outbox_id)


def reply_address_for(ticket_number: str, address: str) -> str:
    """``address`` with the ticket's signed tag: local+<number>.<sig>@domain."""
    local, _, domain = address.rpartition("@")
    return f"{local}+{ticket_number}.{sign(f'ticket:{ticket_number.upper()}')}@{domain}"


def ticket_number_from(address: str) -> str | None:
    """The ticket number of a tagged reply address when its signature holds, else None."""
    local, at, _domain = address.rpartition("@")
    if not at or "+" not in local:
        return None
    match = TAG.match(local.rpartition("+")[2])
    if match is None:
        return None
    # Some mail servers lower-case addresses: the signature ignores case, the number is upper.
    number, signature = match.groups()
    number = number.upper()
    if not hmac.compare_digest(signature.lower(), sign(f"ticket:{number}")):
        return None
    return number
