"""The search document (docs/workspace.md).

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
        ("tickets", "0011_merge_mail_cockpit"),
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
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
