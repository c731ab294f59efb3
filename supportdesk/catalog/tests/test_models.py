"""The catalog: lines, products and versions as the regulations and contracts use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from supportdesk.catalog.models import Product, ProductLine, ProductVersion


@pytest.fixture
def line(db) -> ProductLine:
    return ProductLine.objects.create(code="backup", name="Backup")


def test_a_version_name_is_unique_per_product_only(line):
    first = Product.objects.create(line=line, code="vault", name="Vault")
    second = Product.objects.create(line=line, code="vault-cloud", name="Vault Cloud")
    ProductVersion.objects.create(product=first, name="10.1")
    ProductVersion.objects.create(product=second, name="10.1")  # another product: allowed

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVersion.objects.create(product=first, name="10.1")
    assert ProductVersion.objects.filter(name="10.1").count() == 2


def test_versions_list_newest_release_first(line):
    product = Product.objects.create(line=line, code="vault", name="Vault")
    for name, day in (("9.0", dt.date(2024, 3, 1)), ("10.1", dt.date(2026, 2, 1)), ("10.0", None)):
        ProductVersion.objects.create(product=product, name=name, released_on=day)

    names = list(product.versions.values_list("name", flat=True))

    # Unknown release dates sort last on PostgreSQL and first on SQLite; the dated ones are
    # always newest first.
    dated = [name for name in names if name != "10.0"]
    assert dated == ["10.1", "9.0"]


def test_the_seeds_keep_consumer_products_on_their_own_line(cast):
    norton = cast.product_norton
    assert norton.line.is_consumer
    assert not cast.product_sep.line.is_consumer
    assert str(norton) == norton.name
    # Contracts never cover a consumer line's products (they are served by the free line).
    assert not Product.objects.filter(line__is_consumer=True, contracts__isnull=False).exists()
