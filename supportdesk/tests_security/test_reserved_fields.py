"""Customers cannot set what only agents or the system may (mass assignment), nor act as agents,
nor register under another organization; the admin is for staff only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from supportdesk.tests_security.conftest import (
    NOW,
    client_for,
    png_file,
    snapshot,
)
from supportdesk.tickets.models import Ticket, TicketEvent, TicketState

# --- Customer-reserved fields (mass assignment) -------------------------------------------------

RESERVED = {
    "owner": "",
    "owner_id": "",
    "team": "",
    "team_id": "",
    "state": TicketState.CLOSED,
    "close_reason": "confirmed",
    "escalation_level": "3",
    "reaction_due_at": "2020-01-01T00:00:00Z",
    "resolution_due_at": "2020-01-01T00:00:00Z",
    "due_at": "2020-01-01T00:00:00Z",
    "registered_at": "2020-01-01T00:00:00Z",
    "number": "SD-1999-999999",
    "is_internal": "true",
    "internal": "true",
    "channel": "phone",
    "level": "premium",
    "regulation": "002",
    "links": "SD-2026-000001",
    "split_from": "SD-2026-000001",
    "merged_into": "SD-2026-000001",
}


def reserved_fields(cast) -> dict:
    return {
        **RESERVED,
        "owner": str(cast.engineer.agent.pk),
        "owner_id": str(cast.engineer.agent.pk),
        "team": str(cast.team_en.pk),
        "team_id": str(cast.team_en.pk),
        "organization": str(cast.beta.pk),
        "organization_id": str(cast.beta.pk),
        "contact": str(cast.customer_beta.contact.pk),
        "contact_id": str(cast.customer_beta.contact.pk),
        "contract_id": str(cast.contract_beta.pk),
    }


def assert_nothing_reserved_taken(ticket: Ticket, cast) -> None:
    assert ticket.organization == cast.alpha
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.contract == cast.contract_alpha
    assert ticket.owner is None
    assert ticket.team == cast.team_ru  # routed by the regulation, not chosen
    assert ticket.state == TicketState.REGISTERED
    assert (ticket.close_reason, ticket.escalation_level, ticket.closed_at) == ("", 0, None)
    assert ticket.registered_at == NOW
    assert ticket.number.startswith("SD-2026-")
    assert ticket.level.code == "essential" and ticket.regulation.code == "000"
    assert (ticket.split_from, ticket.merged_into, ticket.work_method) == (None, None, None)
    assert not ticket.events.filter(is_internal=True).exists()


SEP_FORM = {
    "support_contact_id": "SC-1001",
    "version": "14.3 RU9",
    "os_version": "Windows Server 2022",
    "service_pack": "KB5034439",
    "subject": "Mass assignment probe",
    "description": "Clients show old definitions.",
}


def test_portal_registration_takes_no_reserved_field(cast, frozen):
    client, _, _ = client_for(cast, "customer_alpha")
    data = {
        **reserved_fields(cast),
        **SEP_FORM,
        "contract": str(cast.contract_alpha.pk),
        "product": str(cast.product_sep.pk),
        "support_id": cast.contract_alpha.support_id,
    }
    # Another organization's contract is not a choice.
    response = client.post("/tickets/new/", {**data, "contract": str(cast.contract_beta.pk)})
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert cast.contract_beta.support_id not in response.text

    response = client.post("/tickets/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert_nothing_reserved_taken(ticket, cast)
    assert ticket.channel == "portal"


def test_api_registration_takes_no_reserved_field(cast, frozen):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {
        **reserved_fields(cast),
        **SEP_FORM,
        "product": cast.product_sep.code,
        "escalation_level": 3,
        "is_internal": True,
    }
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert_nothing_reserved_taken(ticket, cast)
    assert ticket.channel == "api"


@pytest.mark.parametrize(
    "identifier",
    [
        {"support_id": "UG-2025-0042"},
        {"license_key": "UGNGFW-7A1C-92F0-4D1B"},
        {"support_contact_id": "SC-2001"},
    ],
    ids=["support_id", "license_key", "support_contact_id"],
)
def test_api_registration_under_another_organization_is_refused(cast, frozen, identifier):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {**SEP_FORM, "support_contact_id": "", "product": "usergate-ngfw", **identifier}
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 422, response.content
    assert not Ticket.objects.exists()
    # The refusal names nothing of the other organization beyond what the caller typed.
    assert "olga@beta.example" not in response.text and "Бета" not in response.text


def test_registration_priority_outside_the_regulation_is_refused(cast, frozen):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {**SEP_FORM, "product": cast.product_sep.code, "priority": "p0"}
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 422
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("priority-override", {"priority": "p1", "reason": "Now."}),
        ("assign", {"assignee": "engineer_en@", "reason": "Mine."}),
        ("take", {}),
        ("close", {"close_reason": "no_response", "reason": "Done."}),
        ("reopen", {"reason": "Again."}),
        ("notes", {"body": "A customer's internal note"}),
        ("split", {"description": "Second problem"}),
    ],
)
def test_customer_cannot_use_agent_actions(world, cast, path, payload):
    client, headers, _ = client_for(cast, "customer_alpha")
    if path == "assign":
        payload = {**payload, "assignee": cast.engineer_en.email}
    before = snapshot(world.ticket)
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/{path}",
        payload,
        content_type="application/json",
        **headers,
    )
    assert response.status_code in (403, 409), response.content
    assert snapshot(world.ticket) == before


def test_customer_upload_cannot_be_internal(world, cast):
    client, headers, _ = client_for(cast, "customer_alpha")
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/attachments",
        {"files": [png_file("customer.png")], "body": "Logs", "internal": "true"},
        **headers,
    )
    assert response.status_code == 201, response.content
    event = TicketEvent.objects.filter(ticket=world.ticket, attachments__isnull=False).latest("id")
    assert (event.kind, event.is_internal) == (TicketEvent.Kind.CUSTOMER_REPLY, False)
    assert not TicketEvent.objects.filter(ticket=world.ticket, actor=cast.customer_alpha).filter(
        is_internal=True
    )


def test_phone_request_refuses_a_contact_of_another_organization(world, cast):
    """The dispatcher's form for beta cannot register a request for alpha's ivan."""
    client, _, _ = client_for(cast, "dispatcher")
    before = Ticket.objects.count()
    response = client.post(
        f"/workspace/dispatch/?org={cast.beta.pk}",
        {
            "organization": str(cast.beta.pk),
            "contact": str(cast.customer_alpha.contact.pk),
            "license_key": cast.license_key_beta.key,
            "version": "7.2",
            "description": "Phone probe",
        },
    )
    assert response.status_code == 200
    assert Ticket.objects.count() == before
    response = client.post(
        f"/workspace/dispatch/?org={cast.alpha.pk}",
        {
            "organization": str(cast.beta.pk),
            "contact": str(cast.customer_beta.contact.pk),
            "license_key": cast.license_key_beta.key,
            "version": "7.2",
            "description": "Phone probe",
        },
    )
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_merge_into_another_organization_is_refused(world, cast, who):
    """Even an agent who sees both tickets cannot link alpha's ticket to beta's."""
    client, headers, _ = client_for(cast, who)
    before = snapshot(world.ticket)
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/merge",
        {"target": world.beta_ticket.number, "reason": "Same problem?"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 404, response.content
    assert world.ticket.number not in response.text
    assert snapshot(world.ticket) == before


# --- Admin ---------------------------------------------------------------------------------------


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse("admin:app_list", args=[meta.app_label]))
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        for name in ("change", "delete", "history"):
            urls.append(reverse(f"{prefix}_{name}", args=[1]))
    return sorted(set(urls))


@pytest.mark.parametrize("who", ["customer_alpha", "orgadmin_alpha", "engineer", "manager", None])
def test_admin_requires_staff(world, cast, who):
    client, _, _ = client_for(cast, who)
    login = reverse("admin:login")
    problems = []
    for url in admin_urls():
        response = client.get(url)
        if response.status_code != 302 or not response["Location"].startswith(login):
            problems.append(f"{url}: {response.status_code}")
    assert not problems, "\n".join(problems)
