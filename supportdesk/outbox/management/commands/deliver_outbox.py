"""``supportdesk deliver_outbox``: one delivery pass by hand, then the outbox's health."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from supportdesk.outbox.relay import deliver_due, outbox_health


class Command(BaseCommand):
    help = "Deliver the due outbox e-mails once and print what happened."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=50, help="At most this many e-mails.")

    def handle(self, *args, batch_size: int = 50, **options):
        report = deliver_due(batch_size=batch_size)
        health = outbox_health()
        self.stdout.write(
            _(
                "Sent: %(sent)d, retry scheduled: %(retrying)d, failed: %(failed)d, "
                "claimed by another relay: %(skipped)d."
            )
            % report.as_dict()
        )
        self.stdout.write(
            _(
                "Outbox: %(pending)d pending (oldest %(oldest_pending_seconds)d s), "
                "%(retrying)d retrying, %(failed)d failed."
            )
            % health
        )
