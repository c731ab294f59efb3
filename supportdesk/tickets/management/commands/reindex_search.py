"""``supportdesk reindex_search``: rebuild every ticket's search document (after an upgrade that
added search, a bulk import, or an edit of organizations or contacts outside the ticket
services)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from supportdesk.tickets.search_index import rebuild_all


class Command(BaseCommand):
    help = "Rebuild the search document of every ticket."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{rebuild_all()} tickets indexed")
