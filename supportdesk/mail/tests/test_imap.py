"""IMAP polling against a real Dovecot (started by ./dev test: tools/services.sh ensure_dovecot).

Messages are APPENDed to a folder of their own; the poll takes them, commits, and only then marks
them seen or moves them. A re-fetch (the flag lost after the commit) gives no second ticket.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import OperationalError
from imap_tools import AND, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from supportdesk.mail import imap
from supportdesk.mail.models import InboundMessage, Mailbox
from supportdesk.mail.tasks import poll_mailboxes
from supportdesk.mail.tests.helpers import VERITAS, raw_message
from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.models import Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

REQUEST = "Product: Veritas NetBackup\nVersion: 10.4\nOS: RHEL 9\nService pack: 9.4\n\nJob fails."
ENV = ("IMAP_TEST_HOST", "IMAP_TEST_PORT", "IMAP_TEST_USER", "IMAP_TEST_PASSWORD")


@pytest.fixture
def server():
    missing = [name for name in ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"No IMAP server for this test ({', '.join(missing)} unset). ./dev test starts a "
            "throwaway Dovecot (tools/services.sh ensure_dovecot; apt-get install dovecot-imapd)."
        )
    return {name: os.environ[name] for name in ENV}


@pytest.fixture
def folder(server):
    name = f"test-{uuid.uuid4().hex[:10]}"
    with client(server) as mailbox:
        mailbox.folder.create(name)
    yield name
    with client(server) as mailbox:
        for existing in (name, f"{name}-done"):
            if mailbox.folder.exists(existing):
                mailbox.folder.delete(existing)


def client(server) -> MailBoxUnencrypted:
    return MailBoxUnencrypted(server["IMAP_TEST_HOST"], int(server["IMAP_TEST_PORT"])).login(
        server["IMAP_TEST_USER"], server["IMAP_TEST_PASSWORD"]
    )


@pytest.fixture
def box(cast, server, folder, monkeypatch):
    monkeypatch.setenv("SUPPORTDESK_IMAP_USER", server["IMAP_TEST_USER"])
    monkeypatch.setenv("SUPPORTDESK_IMAP_PASSWORD", server["IMAP_TEST_PASSWORD"])
    return Mailbox.objects.create(
        name="Veritas",
        address=VERITAS,
        regulation=cast.regulation_000,
        product_line=cast.product_netbackup.line,
        host=server["IMAP_TEST_HOST"],
        port=int(server["IMAP_TEST_PORT"]),
        security=Mailbox.Security.NONE,
        folder=folder,
        username_env="SUPPORTDESK_IMAP_USER",
        password_env="SUPPORTDESK_IMAP_PASSWORD",
    )


def append(server, folder: str, *messages: bytes) -> None:
    with client(server) as mailbox:
        for raw in messages:
            mailbox.append(raw, folder)


def unseen(server, folder: str) -> int:
    with client(server) as mailbox:
        mailbox.folder.set(folder)
        return len(mailbox.uids(AND(seen=False)))


def test_poll_takes_commits_then_flags_and_a_refetch_duplicates_nothing(server, folder, box):
    request = raw_message(body=REQUEST)
    stranger = raw_message(sender="stranger@unknown.example")
    append(server, folder, request, stranger)

    report = poll_mailboxes()

    assert report == {"mailboxes": 1, "taken": 2, "failed": 0}
    assert unseen(server, folder) == 0
    records = list(InboundMessage.objects.order_by("id"))
    assert [r.outcome for r in records] == ["ticket", "quarantine"]
    assert [bytes(r.raw) for r in records] == [request, stranger]
    assert records[0].mailbox == box and records[0].source == "imap"
    outbox_before = OutboxMessage.objects.count()

    # The flags are lost after the commit (a crash, another client): everything comes again.
    with client(server) as mailbox:
        mailbox.folder.set(folder)
        mailbox.flag(mailbox.uids(), MailMessageFlags.SEEN, False)
    report = poll_mailboxes()

    assert report["taken"] == 2
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.filter(outcome="duplicate").count() == 2
    assert OutboxMessage.objects.count() == outbox_before
    assert unseen(server, folder) == 0


def test_processed_mail_is_moved_after_the_commit(server, folder, box):
    box.processed_folder = f"{folder}-done"
    box.save()
    with client(server) as mailbox:
        mailbox.folder.create(box.processed_folder)
    append(server, folder, raw_message(body=REQUEST))

    poll_mailboxes()

    with client(server) as mailbox:
        mailbox.folder.set(folder)
        assert mailbox.uids() == []
        mailbox.folder.set(box.processed_folder)
        assert len(mailbox.uids()) == 1
    assert Ticket.objects.count() == 1


def test_database_down_flags_nothing(server, folder, box, monkeypatch):
    append(server, folder, raw_message(body=REQUEST))

    def down(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(imap, "take_message", down)
    with pytest.raises(OperationalError):
        poll_mailboxes()

    assert unseen(server, folder) == 1
    assert not InboundMessage.objects.exists()


def test_missing_credentials_are_recorded_on_the_mailbox(box, monkeypatch):
    monkeypatch.delenv("SUPPORTDESK_IMAP_PASSWORD")

    report = poll_mailboxes()

    assert report["failed"] == 1
    box.refresh_from_db()
    assert "SUPPORTDESK_IMAP_PASSWORD" in box.last_error
    assert box.last_polled_at is not None
