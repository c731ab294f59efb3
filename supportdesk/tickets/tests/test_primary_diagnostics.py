"""Seed 002's primary diagnostics checklist, enforced by the registration service for every
way in: the portal, the API and the dispatcher's form all hand the confirmed items to it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from supportdesk.api.services import create_api_token
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration, Ticket
from supportdesk.tickets.registration import (
    RegistrationRefused,
    RegistrationRequest,
    register_ticket,
)
from supportdesk.tickets.tests.helpers import confirmed_checklist, sep_ticket


def ngfw_request(cast, **overrides) -> RegistrationRequest:
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_beta,
        "contact": cast.customer_beta.contact,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": "p2",
    }
    return RegistrationRequest(**{**fields, **overrides})


def test_registration_refuses_an_unconfirmed_checklist_naming_the_missing_items(cast):
    checklist = confirmed_checklist(cast)

    with translation.override("en"), pytest.raises(RegistrationRefused) as info:
        register_ticket(request=ngfw_request(cast, diagnostics_confirmed=checklist[:2]))

    assert info.value.reason == "diagnostics_not_confirmed"
    assert info.value.fields == ["primary_diagnostics"]
    assert "Check network connectivity and routing" in info.value.message
    assert "Check the licence's validity" not in info.value.message  # confirmed
    assert Ticket.objects.count() == 0
    assert not RefusedRegistration.objects.get().is_sales_lead


def test_registration_keeps_the_confirmed_checklist_on_the_registered_event(cast):
    ticket = register_ticket(
        request=ngfw_request(cast, diagnostics_confirmed=confirmed_checklist(cast))
    )

    confirmed = ticket.events.get(kind="registered").data["primary_diagnostics_confirmed"]
    assert [item["id"] for item in confirmed] == list(confirmed_checklist(cast))
    assert confirmed[0]["text_en"].startswith("Check the state of the product's services")


def test_regulation_000_asks_for_no_checklist(cast):
    assert (
        sep_ticket(cast).events.get(kind="registered").data.get("primary_diagnostics_confirmed")
        is None
    )


def api_headers(user) -> dict:
    _, plain = create_api_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_api_lists_the_checklist_and_refuses_without_it(client, cast):
    headers = api_headers(cast.customer_beta)  # English
    contracts = client.get("/api/v1/contracts", **headers).json()
    premium = next(c for c in contracts if c["support_id"] == "UG-2025-0042")
    ids = [item["id"] for item in premium["primary_diagnostics"]]
    assert ids == list(confirmed_checklist(cast))
    payload: dict[str, object] = {
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "version": "7.2",
        "priority": "p2",
        "description": "VPN drops.",
    }

    refused = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)

    assert refused.status_code == 422
    body = refused.json()
    assert (body["code"], body["fields"]) == ("diagnostics_not_confirmed", ["primary_diagnostics"])
    assert "Collect the diagnostic archive" in body["message"]

    payload["primary_diagnostics"] = ids
    created = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert created.status_code == 201
    ticket = Ticket.objects.get(number=created.json()["number"])
    assert ticket.events.get(kind="registered").data["primary_diagnostics_confirmed"]


def test_dispatcher_confirms_the_checklist_with_the_caller(client, cast):
    client.force_login(cast.dispatcher)
    page = client.get(reverse("workspace:dispatch"), {"org": cast.beta.pk})
    form = page.context["form"]
    assert [int(pk) for pk, _ in form.fields["diagnostics"].choices] == list(
        confirmed_checklist(cast)
    )
    data = {
        "organization": cast.beta.pk,
        "contact": cast.customer_beta.contact.pk,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "product": cast.product_ngfw.pk,
        "version": "7.2",
        "priority": "p1",
        "description": "The cluster is down.",
    }

    refused = client.post(reverse("workspace:dispatch"), data)

    assert refused.status_code == 200
    assert "первичную диагностику" in refused.context["refusal_message"]
    assert refused.context["form"].errors["diagnostics"]
    assert Ticket.objects.count() == 0

    data["diagnostics"] = [str(pk) for pk in confirmed_checklist(cast)]
    registered = client.post(reverse("workspace:dispatch"), data)
    assert registered.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PHONE

    # The engineer reads what the caller confirmed on the ticket's timeline.
    client.force_login(cast.engineer)
    page = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()
    assert "Primary diagnostics the caller confirmed to the dispatcher" in page or (
        "Первичная диагностика, подтверждённая звонившим диспетчеру" in page
    )
    assert "Проверьте сетевую связность и маршрутизацию" in page
