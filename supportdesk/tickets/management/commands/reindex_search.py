"""``supportdesk reindex_search``: rebuild every ticket's search document (after an upgrade that
added search, or a bulk edit of organizations or contacts outside the ticket services)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from supportdesk.tickets.models import Ticket
from supportdesk.tickets.search_index import index_ticket

BATCH = 500


class Command(BaseCommand):
    help = "Rebuild the search document of every ticket."

    def handle(self, *args, **options) -> None:
        ids = list(Ticket.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                for ticket in Ticket.objects.filter(id__in=ids[start : start + BATCH]):
                    index_ticket(ticket)
        self.stdout.write(f"{len(ids)} tickets indexed")
