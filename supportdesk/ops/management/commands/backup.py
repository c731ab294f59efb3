"""``supportdesk backup PATH``: the database and every attachment in one .tar.gz archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from supportdesk.ops.backup import create_backup


class Command(BaseCommand):
    help = "Write the database and the attachments to one archive (see docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive to write, e.g. backup.tar.gz.")

    def handle(self, *args, path: Path, **options):
        summary = create_backup(path)
        self.stdout.write(
            f"Backup written to {summary.path}: {summary.tickets} tickets, "
            f"{summary.events} timeline events, {summary.attachments} attachments."
        )
