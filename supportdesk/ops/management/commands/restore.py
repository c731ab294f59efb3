"""``supportdesk restore PATH [--force]``: replace the database and attachments with a backup."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportdesk.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `supportdesk backup` into a migrated database."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive written by `supportdesk backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the content of a database that is not empty.",
        )

    def handle(self, *args, path: Path, force: bool = False, **options):
        try:
            summary = restore_backup(path, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {summary.path}: {summary.tickets} tickets, "
            f"{summary.events} timeline events, {summary.attachments} attachments."
        )
