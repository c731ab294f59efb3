"""Indexes for the queue's counters, and the search document (docs/workspace.md).

The search indexes depend on the database: on PostgreSQL GIN indexes on the two tsvectors and a
pg_trgm GIN index on ``keys`` (TrigramExtension does nothing elsewhere); on SQLite an FTS5 table.
Existing tickets get their documents with ``supportdesk reindex_search``.
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL = [
    "CREATE INDEX ticketsearch_public ON tickets_ticketsearch USING gin (public)",
    "CREATE INDEX ticketsearch_internal ON tickets_ticketsearch USING gin (internal)",
    "CREATE INDEX ticketsearch_keys_trgm ON tickets_ticketsearch USING gin (keys gin_trgm_ops)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS ticketsearch_public",
    "DROP INDEX IF EXISTS ticketsearch_internal",
    "DROP INDEX IF EXISTS ticketsearch_keys_trgm",
]
SQLITE = [
    "CREATE VIRTUAL TABLE tickets_search_fts USING fts5("
    "public, internal, tokenize = 'unicode61 remove_diacritics 2')"
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS tickets_search_fts"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_site_name"),
        ("catalog", "0001_initial"),
        ("contracts", "0001_initial"),
        ("regulations", "0002_hotline_instructions_en"),
        ("tickets", "0009_confirmation_reminder_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="TicketSearch",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
                ("keys", models.TextField(blank=True, verbose_name="numbers, names and keys")),
                (
                    "public",
                    django.contrib.postgres.search.SearchVectorField(
                        null=True, verbose_name="what the customer may read"
                    ),
                ),
                (
                    "internal",
                    django.contrib.postgres.search.SearchVectorField(
                        null=True, verbose_name="internal notes"
                    ),
                ),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
            },
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True), ("owner__isnull", True)),
                fields=["team", "id"],
                name="ticket_team_unassigned",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True), ("state", "waiting_for_customer")),
                fields=["team", "id"],
                name="ticket_team_waiting",
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
