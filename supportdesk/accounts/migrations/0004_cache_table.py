"""The database cache's table (settings.CACHE_TABLE): the shared store of sign-in throttling
counters in the embedded default, created whatever cache this process is configured with, so that
every process on the database can use it (``createcachetable`` would skip it under Redis)."""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, settings.CACHE_TABLE, False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_site_name")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
