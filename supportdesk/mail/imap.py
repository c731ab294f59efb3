"""Polling IMAP mailboxes with imap-tools: fetch, take, commit, and only then flag or move.

A message is fetched without touching its flags (BODY.PEEK), taken by ``intake.take_message``
(which commits the raw message with its outcome), and only after that commit marked seen or moved
to the processed folder. A crash between the two leaves it unseen: the next pass fetches it again
and intake records it as a duplicate of the first, acting once. While the database is down the
pass stops and nothing is flagged.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from supportdesk.mail.intake import take_message
from supportdesk.mail.models import Mailbox

logger = logging.getLogger(__name__)

BATCH = 50
TIMEOUT = 30


@dataclass
class PollReport:
    mailboxes: int = 0
    taken: int = 0
    failed: int = 0  # mailboxes whose pass failed (see Mailbox.last_error)


class MailboxConfigError(Exception):
    pass


def _connect(box: Mailbox) -> BaseMailBox:
    user = os.environ.get(box.username_env, "")
    password = os.environ.get(box.password_env, "")
    if not user or not password:
        raise MailboxConfigError(
            f"set the environment variables {box.username_env} and {box.password_env}"
        )
    client: BaseMailBox
    if box.security == Mailbox.Security.SSL:
        client = MailBox(
            box.host, box.port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
        )
    elif box.security == Mailbox.Security.STARTTLS:
        client = MailBoxStartTls(
            box.host, box.port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
        )
    else:
        client = MailBoxUnencrypted(box.host, box.port, timeout=TIMEOUT)
    return client.login(user, password, initial_folder=box.folder)


def _fetch_raw(client: BaseMailBox, uid: str) -> bytes | None:
    status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _acknowledge(client: BaseMailBox, box: Mailbox, uid: str) -> None:
    if box.processed_folder:
        client.move(uid, box.processed_folder)
    else:
        client.flag(uid, MailMessageFlags.SEEN, True)


def poll_mailbox(box: Mailbox, *, batch: int = BATCH) -> int:
    """One pass over the unseen messages of ``box``; returns how many were taken."""
    taken = 0
    with _connect(box) as client:
        for uid in client.uids(AND(seen=False))[:batch]:
            raw = _fetch_raw(client, uid)
            if raw is None:
                continue
            take_message(raw, mailbox=box, source="imap")
            # Committed: only now may the server forget the message.
            _acknowledge(client, box, uid)
            taken += 1
    return taken


def poll_mailboxes() -> PollReport:
    """Poll every active mailbox once. A failing mailbox is recorded on its row and does not
    stop the others; a database outage stops the pass (nothing is flagged)."""
    report = PollReport()
    for box in Mailbox.objects.filter(is_active=True).select_related("regulation", "product_line"):
        report.mailboxes += 1
        error = ""
        try:
            report.taken += poll_mailbox(box)
        except DatabaseError:
            raise
        except Exception as exc:
            report.failed += 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            logger.warning("mailbox %s: poll failed: %s", box.name, error)
        Mailbox.objects.filter(pk=box.pk).update(last_polled_at=timezone.now(), last_error=error)
    return report
