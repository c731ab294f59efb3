"""The dispatcher's console: what the registration form offers and marks for the caller."""

from __future__ import annotations

from django.urls import reverse

DISPATCH = reverse("workspace:dispatch")


def test_form_offers_only_the_products_the_callers_contracts_cover(client, cast):
    client.force_login(cast.dispatcher)

    response = client.get(DISPATCH, {"org": cast.alpha.pk})

    products = set(response.context["form"].fields["product"].queryset)
    assert products == set(cast.contract_alpha.products.filter(line__is_consumer=False))
    assert cast.product_ngfw not in products
    assert cast.product_norton not in products


def test_form_marks_the_fields_the_regulation_requires(client, cast):
    client.force_login(cast.dispatcher)

    response = client.get(DISPATCH, {"org": cast.alpha.pk})

    rows = {row["field"].name: row for row in response.context["form"].rows()}
    required = {name for name, row in rows.items() if row["required"]}
    assert required == {"product", "version", "os_version", "service_pack", "description"}
    assert "Support ID" in rows["support_contact_id"]["help"]
    html = response.content.decode()
    assert 'name="version"' in html and html.count('class="req"') >= len(required) + 1
