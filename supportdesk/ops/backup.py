"""Backup and restore: the whole database and every attachment in one archive.

The database is written with Django's serializer (JSON Lines keeping microseconds, streamed
row by row: ops/serializer.py) rather than
``pg_dump``, so one archive restores into SQLite or PostgreSQL alike: the embedded default can be
moved to production with it, and the drill runs in the test suite on both. Content types and
permissions are referred to by natural keys (``migrate`` recreates them); every other row keeps
its primary key. The dump runs in one read transaction (REPEATABLE READ on PostgreSQL), so it is a
consistent snapshot while the desk keeps working.

Archive (``.tar.gz``): ``manifest.json`` (format, time, applied migrations, row counts, every
attachment's SHA-256), ``database.sdjsonl``, ``attachments/<path under MEDIA_ROOT>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from supportdesk.accounts.models import User
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.sdjsonl"
ATTACHMENTS = "attachments"
# Recreated by ``migrate`` (and referred to by natural keys); sessions are not worth restoring.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


class BackupError(Exception):
    """A backup that cannot be restored here; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    tickets: int
    events: int
    attachments: int


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def create_backup(path: Path, *, now: dt.datetime | None = None) -> BackupSummary:
    """Write the archive to ``path`` (through a temporary file, so a failed backup leaves no
    half-written archive under the final name)."""
    now = now or timezone.now()
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="supportdesk-backup-") as work:
        dump = Path(work) / DATABASE
        # A snapshot needs its own transaction; inside a caller's (a test's) it takes theirs.
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            counts = {
                "tickets": Ticket.objects.count(),
                "events": TicketEvent.objects.count(),
                "attachments": Attachment.objects.count(),
            }
            call_command(
                "dumpdata",
                format="sdjsonl",
                natural_foreign=True,
                exclude=EXCLUDED,
                output=str(dump),
                verbosity=0,
            )
            migrations = _applied_migrations()
        files = _media_files(media)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": connection.vendor,
            "migrations": migrations,
            "counts": counts,
            "files": {p.relative_to(media).as_posix(): _sha256(p) for p in files},
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=DATABASE)
            for file in files:
                archive.add(file, arcname=f"{ATTACHMENTS}/{file.relative_to(media).as_posix()}")
        partial.replace(path)
    return BackupSummary(path, counts["tickets"], counts["events"], counts["attachments"])


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.getmember(MANIFEST)
        stream = archive.extractfile(member)
        manifest = json.load(stream) if stream is not None else None
    except (KeyError, ValueError) as error:
        raise BackupError(f"Not a supportdesk backup: no readable {MANIFEST}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format (this version reads format {FORMAT}).")
    return manifest


def _check_migrations(manifest: dict) -> None:
    """The archive's schema must not be newer than this database's."""
    applied = _applied_migrations()
    missing = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if name not in applied.get(app, [])
    ]
    if missing:
        raise BackupError(
            "The backup was made by a newer version (migrations not applied here: "
            f"{', '.join(missing[:5])}). Install that version and run `supportdesk migrate`."
        )


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        parts = PurePosixPath(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"Refusing an unsafe archive member: {member.name!r}.")
        members.append(member)
    return members


def restore_backup(path: Path, *, force: bool = False) -> BackupSummary:
    """Replace the database's content and the attachments with the archive's.

    Refuses a database that already holds users or tickets unless ``force``; refuses an archive
    from a newer schema. The database part is one transaction: it restores entirely or not at
    all. Every attachment is checked against its SHA-256 in the manifest.
    """
    if not path.exists():
        raise BackupError(f"No such backup: {path}.")
    if not tarfile.is_tarfile(path):
        raise BackupError(f"Not a readable .tar.gz archive: {path}.")
    with (
        tarfile.open(path, "r:*") as archive,
        tempfile.TemporaryDirectory(prefix="supportdesk-restore-") as work,
    ):
        manifest = _read_manifest(archive)
        _check_migrations(manifest)
        if not force and (User.objects.exists() or Ticket.objects.exists()):
            raise BackupError(
                "The database is not empty. Restore into a freshly migrated database, "
                "or pass --force to replace everything in it."
            )
        archive.extractall(work, members=_safe_members(archive), filter="data")
        extracted = Path(work) / ATTACHMENTS
        for name, digest in manifest["files"].items():
            file = extracted / name
            if not file.is_file() or _sha256(file) != digest:
                raise BackupError(f"Attachment {name} is missing or damaged in the archive.")
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(Path(work) / DATABASE), verbosity=0)
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            shutil.rmtree(media)
        media.mkdir(parents=True)
        if extracted.exists():
            shutil.copytree(extracted, media, dirs_exist_ok=True)
    counts = manifest["counts"]
    return BackupSummary(path, counts["tickets"], counts["events"], counts["attachments"])
