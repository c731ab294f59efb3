"""The backup drill: back up, wipe, restore; every ticket, event and file identical."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from supportdesk.demo.tickets import load_demo_tickets
from supportdesk.ops.backup import BackupError, create_backup, restore_backup
from supportdesk.tickets import actions
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent
from supportdesk.tickets.tests.helpers import config_file, log_file


def everything() -> tuple:
    """Every ticket, event and attachment row, and every attachment's bytes."""
    return (
        list(Ticket.objects.order_by("pk").values()),
        list(TicketEvent.objects.order_by("pk").values()),
        list(Attachment.objects.order_by("pk").values()),
        {a.pk: Path(a.file.path).read_bytes() for a in Attachment.objects.all()},
    )


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(Path(settings.MEDIA_ROOT).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not Ticket.objects.exists()


def test_the_backup_drill_restores_every_ticket_event_and_file(transactional_db, cast, tmp_path):
    # Committed data, as in production: the backup takes its own snapshot transaction and the
    # restore its own transaction.
    tickets = load_demo_tickets(cast)
    actions.add_customer_reply(
        ticket=tickets[0], actor=cast.customer_alpha, body="Logs", files=[log_file()]
    )
    actions.add_internal_note(
        ticket=tickets[0], actor=cast.engineer, body="Config", files=[config_file()]
    )
    before = everything()
    assert len(before[2]) == 2

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    wipe()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert everything() == before
    assert f"{len(tickets)} tickets" in out.getvalue()
    # The restored users can still sign in: passwords, e-mail addresses and roles came back.
    assert cast.manager.__class__.objects.get(pk=cast.manager.pk).check_password("demo")


def test_restore_refuses_a_database_in_use_unless_forced(transactional_db, cast, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    create_backup(archive)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
    restore_backup(archive, force=True)


def test_restore_refuses_a_damaged_or_foreign_archive(cast, tmp_path):
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        data = b"{}"
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="Unknown backup format"):
        restore_backup(foreign, force=True)
    not_tar = tmp_path / "not.tar.gz"
    not_tar.write_bytes(b"plain text")
    with pytest.raises(BackupError, match="Not a readable"):
        restore_backup(not_tar, force=True)
    assert Ticket.objects.count() == 0 and cast.manager.pk


def test_restore_refuses_an_archive_from_a_newer_schema(cast, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    create_backup(archive)
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(newer, "w:gz") as target:
        for member in source.getmembers():
            stream = source.extractfile(member)
            assert stream is not None
            data = stream.read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"]["tickets"].append("9999_from_the_future")
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="9999_from_the_future"):
        restore_backup(newer, force=True)
