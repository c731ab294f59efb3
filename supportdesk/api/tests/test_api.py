"""API v1: registration, lists with keyset pagination, detail, contracts, tokens."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from supportdesk.api.services import create_api_token, revoke_api_token
from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketEvent

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def auth(user) -> dict:
    _, plain = create_api_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}", "HTTP_ACCEPT_LANGUAGE": "en"}


SEP = {
    "support_contact_id": "SC-1001",
    "product": "symantec-endpoint-protection",
    "version": "14.3 RU9",
    "os_version": "Windows Server 2022",
    "service_pack": "KB5034439",
    "description": "Clients show old definitions.",
}


def post(client, headers, payload):
    return client.post("/api/v1/tickets", payload, content_type="application/json", **headers)


def test_customer_registers_000_ticket(client, cast):
    response = post(client, auth(cast.customer_alpha), SEP)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "SD-2026-000001"
    assert (body["state"], body["priority"], body["level"], body["channel"]) == (
        "registered",
        "p4",
        "essential",
        "api",
    )
    assert Ticket.objects.get().contact == cast.customer_alpha.contact


def test_customer_registers_002_ticket_by_license_key(client, cast):
    payload = {
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "version": "7.2",
        "description": "VPN drops.",
        "priority": "p1",
    }
    response = post(client, auth(cast.customer_beta), payload)
    assert response.status_code == 201, response.content
    assert response.json()["product"] == "usergate-ngfw"


def test_refusal_is_json_with_code_and_message(client, cast):
    cast.customer_gamma.language = "en"
    cast.customer_gamma.save(update_fields=["language"])
    headers = auth(cast.customer_gamma)
    payload = {**SEP, "support_contact_id": "", "support_id": "SYM-900900"}
    response = post(client, headers, payload)

    assert response.status_code == 422
    assert response.json() == {
        "code": "contract_expired",
        "message": "Contract SYM-900900 expired on 31 December 2025. Support is not provided under "
        "expired contracts. Please contact your account manager to renew it.",
        "fields": [],
    }
    assert Ticket.objects.count() == 0
    assert RefusedRegistration.objects.get().is_sales_lead


def test_messages_follow_the_accounts_language_not_the_header(client, cast):
    assert cast.customer_gamma.language == "ru"
    headers = auth(cast.customer_gamma)  # Accept-Language: en
    payload = {**SEP, "support_contact_id": "", "support_id": "SYM-900900"}

    response = post(client, headers, payload)

    assert response.json()["message"].startswith("Срок действия контракта SYM-900900")


def test_002_refusal_asks_for_the_license_key_only(client, cast):
    headers = auth(cast.customer_beta)  # English, regulation 002 identifies by license key
    payload = {"product": "usergate-ngfw", "version": "7.1", "description": "VPN drops."}

    response = post(client, headers, payload)

    body = response.json()
    assert (response.status_code, body["code"]) == (422, "missing_fields")
    assert body["fields"] == ["license_key"]
    assert "License key" in body["message"]
    assert "Support ID" not in body["message"]
    assert "Support Contact ID" not in body["message"]


def test_ticket_detail_carries_the_license_key(client, cast):
    headers = auth(cast.customer_beta)
    payload = {
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "product": "usergate-ngfw",
        "version": "7.1",
        "priority": "p3",
        "description": "VPN drops.",
    }
    number = post(client, headers, payload).json()["number"]

    detail = client.get(f"/api/v1/tickets/{number}", **headers).json()

    assert detail["license_key"] == "UGNGFW-7A1C-92F0-4D1B"
    assert detail["support_id"] == "UG-2025-0042"


def test_missing_field_and_unknown_product(client, cast):
    headers = auth(cast.customer_alpha)
    missing = post(client, headers, {**SEP, "os_version": ""})
    assert missing.status_code == 422
    assert missing.json()["code"] == "missing_fields"
    assert missing.json()["fields"] == ["os_version"]

    unknown = post(client, headers, {**SEP, "product": "nope"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_product")
    assert Ticket.objects.count() == 0


def test_customer_cannot_set_agent_fields(client, cast):
    payload = {**SEP, "state": "closed", "owner": cast.engineer.agent.pk, "team": 1}
    response = post(client, auth(cast.customer_alpha), payload)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert (ticket.state, ticket.owner, ticket.closed_at) == ("registered", None, None)


def test_agents_do_not_register_as_customers(client, cast):
    response = post(client, auth(cast.engineer), SEP)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_unauthenticated_and_revoked_tokens(client, cast):
    assert client.get("/api/v1/tickets").status_code == 401
    token, plain = create_api_token(user=cast.customer_alpha, name="x")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert client.get("/api/v1/tickets", **headers).status_code == 200
    revoke_api_token(user=cast.customer_alpha, token_id=token.pk)
    assert client.get("/api/v1/tickets", **headers).status_code == 401


def test_list_is_keyset_paginated_and_isolated(client, cast):
    alpha = auth(cast.customer_alpha)
    for minute in range(5):
        with time_machine.travel(NOW + datetime.timedelta(minutes=minute), tick=False):
            assert post(client, alpha, SEP).status_code == 201

    first = client.get("/api/v1/tickets?limit=2", **alpha).json()
    assert [t["number"] for t in first["items"]] == ["SD-2026-000005", "SD-2026-000004"]
    second = client.get(f"/api/v1/tickets?limit=2&cursor={first['next_cursor']}", **alpha).json()
    assert [t["number"] for t in second["items"]] == ["SD-2026-000003", "SD-2026-000002"]
    third = client.get(f"/api/v1/tickets?limit=2&cursor={second['next_cursor']}", **alpha).json()
    assert [t["number"] for t in third["items"]] == ["SD-2026-000001"]
    assert third["next_cursor"] is None

    beta = auth(cast.customer_beta)
    assert client.get("/api/v1/tickets", **beta).json()["items"] == []
    assert client.get("/api/v1/tickets/SD-2026-000001", **beta).status_code == 404
    colleague = auth(cast.colleague_alpha)
    assert client.get("/api/v1/tickets/SD-2026-000001", **colleague).status_code == 404
    orgadmin = auth(cast.orgadmin_alpha)
    assert client.get("/api/v1/tickets/SD-2026-000001", **orgadmin).status_code == 200


def test_detail_hides_internal_events_from_customers(client, cast):
    alpha = auth(cast.customer_alpha)
    number = post(client, alpha, SEP).json()["number"]
    ticket = Ticket.objects.get(number=number)
    TicketEvent.objects.create(
        ticket=ticket,
        created_at=NOW,
        actor=cast.engineer,
        kind="internal_note",
        is_internal=True,
        body="customer seems confused",
    )

    customer_view = client.get(f"/api/v1/tickets/{number}", **alpha).json()
    assert [e["kind"] for e in customer_view["timeline"]] == ["registered"]
    assert "confused" not in str(customer_view)
    manager_view = client.get(f"/api/v1/tickets/{number}", **auth(cast.manager)).json()
    assert [e["kind"] for e in manager_view["timeline"]] == ["registered", "internal_note"]


def test_contracts_show_entitlements(client, cast):
    body = client.get("/api/v1/contracts", **auth(cast.customer_beta)).json()
    by_id = {c["support_id"]: c for c in body}
    assert set(by_id) == {"UG-2025-0042", "UG-2025-0077"}
    assert by_id["UG-2025-0042"]["channels"] == ["api", "phone", "portal"]
    assert by_id["UG-2025-0077"]["channels"] == ["api", "portal"]
    assert by_id["UG-2025-0042"]["active"] is True
    assert len(by_id["UG-2025-0042"]["hotlines"]) == 1
    assert by_id["UG-2025-0077"]["hotlines"] == []


def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in schema["paths"]


def test_list_filters(client, cast):
    alpha = auth(cast.customer_alpha)
    post(client, alpha, SEP)
    post(client, alpha, {**SEP, "product": "veritas-netbackup", "version": "10.4"})
    orgadmin = auth(cast.orgadmin_alpha)

    def numbers(query, headers=orgadmin):
        response = client.get(f"/api/v1/tickets?{query}", **headers)
        assert response.status_code == 200, response.content
        return [t["number"] for t in response.json()["items"]]

    assert numbers("product=veritas-netbackup") == ["SD-2026-000002"]
    assert numbers("state=open") == ["SD-2026-000002", "SD-2026-000001"]
    assert numbers("state=closed") == []
    assert numbers("priority=p1") == []
    assert numbers("mine=true") == []  # anna registered none herself
    assert numbers("mine=true", alpha) == ["SD-2026-000002", "SD-2026-000001"]
    assert numbers(f"organization={cast.beta.pk}") == []  # never widens what one may see
    bad = client.get("/api/v1/tickets?state=nonsense", **orgadmin)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    assert bad.json()["fields"] == ["state"]
