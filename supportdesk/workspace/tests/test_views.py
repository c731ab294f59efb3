"""The agent workspace and the dispatcher console, through the views an agent calls."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration, Ticket
from supportdesk.tickets.registration import RegistrationRequest, register_ticket

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))
DISPATCH = reverse("workspace:dispatch")


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def phone_form(cast, **overrides):
    data = {
        "organization": cast.alpha.pk,
        "contact": cast.customer_alpha.contact.pk,
        "support_id": "SYM-100200",
        "support_contact_id": "SC-1001",
        "product": cast.product_sep.pk,
        "version": "14.3 RU8",
        "os_version": "Windows Server 2019",
        "service_pack": "CU 2024-01",
        "priority": "p2",
        "subject": "Management server does not start",
        "description": "After the update the SEPM service stops at start.",
    }
    data.update(overrides)
    return data


# Lookup ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["+7 (495) 111-22-33", "84951112233", "SYM-100200", "sc-1001"],
)
def test_dispatcher_finds_the_caller(client, cast, query):
    client.force_login(cast.dispatcher)

    response = client.get(DISPATCH, {"q": query})

    card = response.context["card"]
    assert card["organization"] == cast.alpha
    assert [row["contract"].support_id for row in card["contracts"]] == ["SYM-100200"]
    assert card["contracts"][0]["active"] is True
    assert {c.support_contact_id for c in card["contacts"]} == {"SC-1001", "SC-1002", "SC-1003"}
    html = response.content.decode()
    assert "ivan@alpha.example" in html
    assert "olga@beta.example" not in html


def test_dispatcher_finds_by_license_key_and_sees_contract_status(client, cast):
    client.force_login(cast.dispatcher)

    response = client.get(DISPATCH, {"q": "UGNGFW-7A1C-92F0-4D1B"})

    assert response.context["card"]["organization"] == cast.beta

    gamma = client.get(DISPATCH, {"q": "SYM-900900"}).context["card"]
    assert gamma["organization"] == cast.gamma
    assert [row["active"] for row in gamma["contracts"]] == [False]


def test_unknown_caller_is_reported(client, cast):
    client.force_login(cast.dispatcher)

    response = client.get(DISPATCH, {"q": "+1 555 000 0000"})

    assert response.context["card"] is None
    assert response.context["candidates"] == []


# Registration on the caller's behalf ----------------------------------------------------------


def test_dispatcher_registers_a_phone_request_for_the_caller(client, cast):
    client.force_login(cast.dispatcher)

    response = client.post(DISPATCH, phone_form(cast))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == f"{DISPATCH}?org={cast.alpha.pk}&registered={ticket.number}"
    assert ticket.number == "SD-2026-000001"
    assert ticket.channel == Channel.PHONE
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.registered_by == cast.dispatcher
    assert ticket.priority.code == "p2"
    assert list(OutboxMessage.objects.values_list("recipients", flat=True)) == [
        ["ivan@alpha.example"]
    ]
    page = client.get(response.url)
    assert page.context["registered"] == ticket
    assert "SD-2026-000001" in page.content.decode()


def test_contact_of_another_organization_is_refused_and_nothing_is_created(client, cast):
    client.force_login(cast.dispatcher)

    response = client.post(DISPATCH, phone_form(cast, contact=cast.customer_beta.contact.pk))

    assert response.status_code == 200
    assert "contact" in response.context["form"].errors
    assert Ticket.objects.count() == 0
    assert RefusedRegistration.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_support_id_of_another_organization_is_refused(client, cast):
    client.force_login(cast.dispatcher)

    response = client.post(
        DISPATCH,
        phone_form(
            cast,
            organization=cast.beta.pk,
            contact=cast.customer_beta.contact.pk,
            support_contact_id="",
            product=cast.product_ngfw.pk,
        ),
    )

    assert response.status_code == 200
    record = RefusedRegistration.objects.get()
    assert record.reason == RefusedRegistration.Reason.WRONG_ORGANIZATION
    assert response.context["refusal_message"] == record.message
    assert Ticket.objects.count() == 0
    assert not OutboxMessage.objects.filter(recipients=["olga@beta.example"]).exists()


def test_expired_contract_by_phone_is_refused_as_a_sales_lead(client, cast):
    client.force_login(cast.dispatcher)

    response = client.post(
        DISPATCH,
        phone_form(
            cast,
            organization=cast.gamma.pk,
            contact=cast.customer_gamma.contact.pk,
            support_id="SYM-900900",
            support_contact_id="SC-3001",
        ),
    )

    assert response.status_code == 200
    record = RefusedRegistration.objects.get()
    assert record.reason == RefusedRegistration.Reason.CONTRACT_EXPIRED
    assert record.is_sales_lead is True
    assert record.channel == Channel.PHONE
    assert "SYM-900900" in response.context["refusal_message"]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("who", ["customer_alpha", "orgadmin_alpha", "engineer"])
def test_only_dispatchers_may_use_the_console(client, cast, who):
    client.force_login(getattr(cast, who))

    assert client.get(DISPATCH, {"q": "SYM-100200"}).status_code == 403
    assert client.post(DISPATCH, phone_form(cast)).status_code == 403
    assert Ticket.objects.count() == 0
    assert RefusedRegistration.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(client, cast):
    response = client.post(DISPATCH, phone_form(cast))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert Ticket.objects.count() == 0


# Queue -----------------------------------------------------------------------------------------


def make_ticket(cast, user, contract, product, license_key=""):
    return register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=user,
            contact=user.contact,
            support_id=contract.support_id,
            license_key=license_key,
            product=product,
            version="1.0",
            os_version="Linux",
            service_pack="-",
            description="Something is broken.",
            priority_code="p3",
        )
    )


def test_queue_lists_visible_tickets_by_nearest_deadline(client, cast):
    older = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        newer = make_ticket(
            cast,
            cast.customer_beta,
            cast.contract_beta,
            cast.product_ngfw,
            license_key="UGNGFW-7A1C-92F0-4D1B",
        )
    client.force_login(cast.manager)

    response = client.get(reverse("workspace:home"))

    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.sla_due_at < older.sla_due_at  # premium beta's target is the nearer one
    assert [t.number for t in response.context["tickets"]] == [newer.number, older.number]


def test_engineer_sees_only_the_queue_of_their_teams(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    client.force_login(cast.engineer_en)

    response = client.get(reverse("workspace:home"))

    assert ticket.number not in [t.number for t in response.context["tickets"]]


def test_customers_have_no_workspace(client, cast):
    client.force_login(cast.customer_alpha)

    assert client.get(reverse("workspace:home")).status_code == 403


def test_queue_query_budget(client, cast, django_assert_max_num_queries):
    for minute in range(30):
        with time_machine.travel(NOW + datetime.timedelta(minutes=minute), tick=False):
            make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    client.force_login(cast.manager)

    # The cockpit's budget: ten statements (test_queue_cockpit.py lists them).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("workspace:home"))

    assert len(response.context["tickets"]) == 25
    assert response.context["next_url"]


def test_lookup_prefills_what_the_match_tells(client, cast):
    client.force_login(cast.dispatcher)

    by_phone = client.get(DISPATCH, {"q": "+7 (495) 111-22-33"}).context["form"]
    by_key = client.get(DISPATCH, {"q": "UGNGFW-7A1C-92F0-4D1B"}).context["form"]

    assert by_phone.initial["contact"] == cast.customer_alpha.contact.pk
    assert by_phone.initial["support_contact_id"] == "SC-1001"
    assert by_key.initial["support_id"] == "UG-2025-0042"
    assert by_key.initial["product"] == cast.product_ngfw.pk
