"""The shared demo cast (root conftest.py): loaded once per test database, yet every test starts
from the same cast, in the database and in memory, also after a transactional test.

The tests of this module depend on running one after the other in one process, in this order:
the ``xdist_group`` keeps them on one worker (``./dev test`` runs xdist with ``--dist
loadgroup``), pytest-django runs the transactional ones after the others, and each later test
asserts that the earlier ones ran, so a broken order fails instead of proving nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.db import connection

from supportdesk.accounts.models import Organization, User

pytestmark = pytest.mark.xdist_group("cast-isolation")

DEMO_ORGANIZATIONS = {"ООО «Альфа-Системы»", "АО «Бета-Телеком»", "ТОО «Гамма»"}
# What the earlier tests saw and changed, kept alive so that identity checks mean something.
SEEN: dict[str, Any] = {}


def assert_cast_as_loaded(cast) -> None:
    """The cast's rows are in the database, unchanged, and the objects are what load_demo gives."""
    assert set(Organization.objects.values_list("name", flat=True)) == DEMO_ORGANIZATIONS
    assert User.objects.count() == 11
    ivan = User.objects.get(pk=cast.customer_alpha.pk)
    assert (ivan.email, ivan.first_name, ivan.language) == ("ivan@alpha.example", "Иван", "ru")
    assert (cast.customer_alpha.first_name, cast.customer_alpha.language) == ("Иван", "ru")
    assert cast.alpha.name == "ООО «Альфа-Системы»"
    assert cast.contract_alpha.support_id == "SYM-100200"
    assert cast.contract_alpha.organization_id == cast.alpha.pk


def test_1_changes_the_cast_in_memory_and_in_the_database(cast):
    assert_cast_as_loaded(cast)
    cast.customer_alpha.first_name = "Changed in memory only"
    cast.customer_alpha.language = "en"
    cast.alpha.name = "Renamed and saved"
    cast.alpha.save(update_fields=["name"])
    Organization.objects.create(name="Created by test 1", country="RU")
    User.objects.filter(pk=cast.engineer.pk).update(first_name="Updated in the database")
    SEEN["cast"] = cast


def test_2_the_next_test_finds_the_cast_as_loaded(cast):
    assert "cast" in SEEN, "test_1 must run first, in this process (see the module docstring)"
    assert_cast_as_loaded(cast)
    assert User.objects.get(pk=cast.engineer.pk).first_name == "Сергей"
    # Fresh objects, not the ones test_1 changed.
    assert cast is not SEEN["cast"]
    assert cast.customer_alpha is not SEEN["cast"].customer_alpha
    assert SEEN["cast"].customer_alpha.first_name == "Changed in memory only"
    SEEN["pks"] = (cast.customer_alpha.pk, cast.alpha.pk)


@pytest.mark.django_db(transaction=True)
def test_3_a_transactional_test_finds_the_cast_and_commits(cast):
    assert "pks" in SEEN, "test_1 and test_2 must run first, in this process"
    assert not connection.in_atomic_block  # really transactional: what it saves is committed
    assert_cast_as_loaded(cast)
    User.objects.filter(pk=cast.customer_alpha.pk).update(language="en")
    Organization.objects.create(name="Committed by test 3", country="RU")
    SEEN["transactional"] = True
    # pytest-django flushes every table after this test; the conftest loads the cast again.


def test_4_after_a_transactional_test_the_cast_is_back(transactional_db, cast):
    assert SEEN.get("transactional"), "test_3 must run first, in this process"
    assert_cast_as_loaded(cast)
    # And what the migrations left: the site's name comes from a data migration.
    assert Site.objects.get_current().name == "supportdesk"
    assert ContentType.objects.get_for_model(User).model_class() is User
    # Loaded again after the flush: new rows, and the fixture hands out the new objects.
    assert User.objects.filter(email="ivan@alpha.example").get().pk == cast.customer_alpha.pk
    assert not Organization.objects.filter(name="Committed by test 3").exists()
