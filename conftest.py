"""Test fixtures shared by every app: the fixed demo cast, with both regulations loaded.

The cast (both seed regulations, the demo's organizations, contacts, agents and contracts) is
loaded once per test database, right after the migrations, and committed: every test that uses the
database finds it, and each test's own changes are rolled back at its end as usual. Loading it for
each test cost 0.07 s (SQLite) to 0.15 s (PostgreSQL), some 500 times per database.

Two things keep the tests independent of each other all the same:
- ``cast`` hands each test its own deep copy of the loaded objects, so a test that changes an
  object in memory (without saving) cannot leak the change into the next test;
- a transactional test (``transactional_db``, ``live_server``, threads) commits for real and ends
  with Django flushing every table; before the next test the rows the migrations left and the
  cast are loaded again, so the tests that run after it find the database as before (see
  ``pytest_runtest_setup``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest

# --- Hypothesis profiles (registered here only) -------------------------------------------------
# ``ci``, the default: derandomized (the examples are a function of the test, the same on every
# run and machine), no example database, no deadline (a shared machine's timing is not a
# property); its example counts keep the oracle tests of businesstime under 20 s in all.
# ``thorough``: a long run with about 17 times the examples, random (new cases each run;
# --hypothesis-seed=N repeats one), a failure printed with its example and a @reproduce_failure
# line. Chosen with HYPOTHESIS_PROFILE=thorough or pytest's --hypothesis-profile=thorough. Tests
# that set their own counts (schemathesis) keep them.
hypothesis.settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=60, print_blob=True
)
hypothesis.settings.register_profile(
    "thorough", hypothesis.settings.get_profile("ci"), derandomize=False, max_examples=1000
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class _Loaded:
    """The cast as last loaded into this worker's test database (None before the first load)."""

    cast: Any = None
    migrated = ""  # every row the migrations left, serialized (Django's serialized_rollback form)
    blocker: Any = None  # pytest-django's django_db_blocker, kept for the reload after a flush
    flushed = False  # set by a transactional test, cleared by loading the cast again


# What the flush's post_migrate signal creates again itself (with new ids): not restored.
RECREATED_BY_POST_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}


def _load_cast() -> None:
    from supportdesk.demo.cast import load_demo

    _Loaded.cast = load_demo()


def _restore_after_flush() -> None:
    """The database as the migrations left it (e.g. the site's name, set by a data migration),
    then the cast again."""
    from django.core import serializers
    from django.db import transaction

    with transaction.atomic():
        for row in serializers.deserialize("json", _Loaded.migrated):
            if row.object._meta.label not in RECREATED_BY_POST_MIGRATE:
                row.save()
        _load_cast()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """pytest-django's test database, with the demo cast committed in it."""
    from django.db import connection

    _Loaded.blocker = django_db_blocker
    with django_db_blocker.unblock():
        _Loaded.migrated = connection.creation.serialize_db_to_string()
        _load_cast()


@pytest.fixture(scope="session")
def fresh_cast(django_db_setup: None) -> Callable[[], Any]:
    """A deep copy of what ``load_demo()`` returned (the same values and cached relations, new
    objects), for fixtures wider than a test; after a flush, of what it returned again."""
    return lambda: copy.deepcopy(_Loaded.cast)


@pytest.fixture
def cast(db: None, fresh_cast: Callable[[], Any]) -> Any:
    """Both seed regulations and the demo's organizations, contacts, agents and contracts: a
    fresh copy for every test, so what one test changes in memory never reaches the next."""
    return fresh_cast()


# The apps the cast fills; the migrations leave them empty.
CAST_APPS = {"accounts", "account", "catalog", "contracts", "regulations"}


@pytest.fixture
def empty_db(db: None) -> None:
    """The database as the migrations left it, for tests of loading into an empty one: the cast is
    deleted inside the test's transaction and so is back after it."""
    from django.apps import apps
    from django.db import connection

    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in CAST_APPS
    ]
    # Foreign keys are checked at commit (deferred) on both databases, so the order is free.
    # Raw SQL: no cascade collection, no signals; the table names are the models' own, quoted.
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")
    assert not [model for model in models if model._base_manager.exists()]


def _flushes_database(item: pytest.Item) -> bool:
    """Whether pytest-django ran ``item`` as a TransactionTestCase (which flushes every table at
    its end); the same rule pytest-django applies."""
    fixtures = getattr(item, "fixturenames", ())
    if "transactional_db" in fixtures or "live_server" in fixtures:
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    options = {"transaction": False, "reset_sequences": False}
    options.update(zip(("transaction", "reset_sequences"), marker.args, strict=False))
    options.update(marker.kwargs)
    return bool(options["transaction"] or options["reset_sequences"])


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _flushes_database(item):
        _Loaded.flushed = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before the next test's fixtures (pytest's own setup hook runs after this one): by then the
    # flush is done, and the test database still exists (after the last test it is gone).
    if _Loaded.flushed:
        with _Loaded.blocker.unblock():
            _restore_after_flush()
        _Loaded.flushed = False


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "attachments"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
