"""The customer portal, through the views a customer calls."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket
from supportdesk.tickets.tests.helpers import confirmed_checklist

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def login(client, user):
    client.force_login(user)
    return client


def alpha_form(cast, **overrides):
    data = {
        "contract": cast.contract_alpha.pk,
        "support_id": "",
        "support_contact_id": "SC-1001",
        "product": cast.product_sep.pk,
        "version": "14.3 RU8",
        "os_version": "Windows Server 2019",
        "service_pack": "CU 2024-01",
        "priority": "p3",
        "subject": "Clients do not receive definitions",
        "description": "Since Monday the clients do not download new definitions.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def beta_form(cast, **overrides):
    data = {
        "contract": cast.contract_beta.pk,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "product": cast.product_ngfw.pk,
        "version": "7.1.2",
        "priority": "p2",
        "description": "The VPN gateway drops connections every hour.",
        "diagnostics": [
            str(pk) for pk in cast.regulation_002.diagnostics_items.values_list("pk", flat=True)
        ],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_ticket(cast, user, contract, product, **extra):
    return register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=user,
            contact=user.contact,
            support_id=contract.support_id,
            product=product,
            version="1.0",
            os_version="Linux",
            service_pack="-",
            description=extra.pop("description", "Something is broken."),
            priority_code="p3",
            license_key=extra.pop("license_key", ""),
            diagnostics_confirmed=confirmed_checklist(cast),
        )
    )


# Home ------------------------------------------------------------------------------------------


def test_home_sends_each_kind_of_user_to_their_start_page(client, cast):
    assert client.get("/").url.startswith(reverse("account_login"))
    assert login(client, cast.customer_alpha).get("/").url == reverse("ticket_list")
    assert login(client, cast.dispatcher).get("/").url == reverse("workspace:home")


# Registration ----------------------------------------------------------------------------------


def test_customer_registers_a_request_under_regulation_000(client, cast):
    login(client, cast.customer_alpha)

    response = client.post(reverse("ticket_new"), alpha_form(cast))

    ticket = Ticket.objects.get()
    assert ticket.number == "SD-2026-000001"
    assert response.status_code == 302
    assert response.url == reverse("ticket_detail", args=["SD-2026-000001"])
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.contract == cast.contract_alpha
    assert ticket.channel == Channel.PORTAL
    assert ticket.product == cast.product_sep
    assert (ticket.version, ticket.os_version, ticket.service_pack) == (
        "14.3 RU8",
        "Windows Server 2019",
        "CU 2024-01",
    )
    assert ticket.priority.code == "p3"
    assert ticket.registered_by == cast.customer_alpha
    assert list(OutboxMessage.objects.values_list("recipients", flat=True)) == [
        ["ivan@alpha.example"]
    ]
    page = client.get(response.url)
    assert "SD-2026-000001" in page.content.decode()
    [message] = page.context["messages"]
    assert "SD-2026-000001" in str(message)


def test_support_id_alone_identifies_the_customer_too(client, cast):
    login(client, cast.customer_alpha)

    client.post(
        reverse("ticket_new"), alpha_form(cast, support_id="SYM-100200", support_contact_id="")
    )

    assert Ticket.objects.get().contract == cast.contract_alpha


def test_customer_registers_a_request_under_regulation_002(client, cast):
    login(client, cast.customer_beta)

    response = client.post(reverse("ticket_new"), beta_form(cast))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("ticket_detail", args=[ticket.number])
    assert ticket.number == "SD-2026-000001"
    assert ticket.license_key == cast.license_key_beta
    assert ticket.contract == cast.contract_beta
    assert ticket.priority.code == "p2"
    assert list(OutboxMessage.objects.values_list("recipients", flat=True)) == [
        ["olga@beta.example"]
    ]


def test_confirmed_primary_diagnostics_are_recorded_with_the_registration(client, cast):
    # The refused attempt keeps what was submitted, including the confirmation in ``extra``.
    login(client, cast.customer_beta)
    client.post(reverse("ticket_new"), beta_form(cast, version=""))

    checklist = list(
        cast.regulation_002.diagnostics_items.order_by("order", "id").values_list("pk", flat=True)
    )
    submitted = RefusedRegistration.objects.get().submitted
    assert submitted["diagnostics_confirmed"] == checklist

    # ... and a registration keeps it on its "registered" timeline event.
    client.post(reverse("ticket_new"), beta_form(cast))
    registered = Ticket.objects.get().events.get(kind="registered")
    confirmed = registered.data["primary_diagnostics_confirmed"]
    assert [item["id"] for item in confirmed] == checklist


def test_unconfirmed_primary_diagnostics_keep_the_form_and_create_nothing(client, cast):
    login(client, cast.customer_beta)
    first_item = cast.regulation_002.diagnostics_items.order_by("order", "id").first()

    response = client.post(reverse("ticket_new"), beta_form(cast, diagnostics=[str(first_item.pk)]))

    assert response.status_code == 200
    assert response.context["form"].errors["diagnostics"]
    assert Ticket.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_missing_required_field_rerenders_the_form_with_the_reason(client, cast):
    login(client, cast.customer_alpha)

    response = client.post(reverse("ticket_new"), alpha_form(cast, version=""))

    assert response.status_code == 200
    record = RefusedRegistration.objects.get()
    assert record.reason == RefusedRegistration.Reason.MISSING_FIELDS
    assert response.context["refusal_message"] == record.message
    assert record.message in response.content.decode()
    assert "version" in response.context["form"].errors
    # Everything the customer typed is still there.
    assert "Since Monday the clients do not download new definitions." in response.content.decode()
    assert response.context["form"]["os_version"].value() == "Windows Server 2019"
    assert Ticket.objects.count() == 0
    assert not OutboxMessage.objects.filter(recipients=["ivan@alpha.example"]).exists()


def test_expired_contract_is_refused_and_recorded_as_a_sales_lead(client, cast):
    login(client, cast.customer_gamma)
    page = client.get(reverse("ticket_new"))
    assert page.context["expired"] == cast.contract_gamma_expired

    response = client.post(
        reverse("ticket_new"),
        {
            "contract": cast.contract_gamma_expired.pk,
            "support_id": "SYM-900900",
            "support_contact_id": "SC-3001",
            "product": cast.product_sep.pk,
            "version": "14.3",
            "os_version": "Windows 10",
            "service_pack": "22H2",
            "priority": "p2",
            "description": "The console does not open.",
        },
    )

    assert response.status_code == 200
    record = RefusedRegistration.objects.get()
    assert record.reason == RefusedRegistration.Reason.CONTRACT_EXPIRED
    assert record.is_sales_lead is True
    assert record.contract == cast.contract_gamma_expired
    assert response.context["refusal_message"] == record.message
    assert "SYM-900900" in record.message
    assert record.message in response.content.decode()
    assert Ticket.objects.count() == 0
    assert not OutboxMessage.objects.filter(recipients=["aset@gamma.example"]).exists()


def test_new_request_form_follows_the_chosen_contracts_regulation(client, cast):
    login(client, cast.customer_beta)

    page = client.get(reverse("ticket_new"))
    html = page.content.decode()
    assert 'name="license_key"' in html
    assert 'name="diagnostics"' in html
    assert 'name="support_contact_id"' not in html  # not asked by regulation 002
    # Choosing the other contract reloads only the fields, through htmx.
    partial = client.get(
        reverse("ticket_new"),
        {"contract": cast.contract_beta_standard.pk},
        headers={"HX-Request": "true"},
    )
    assert partial.content.decode().lstrip().startswith('<div id="request-fields"')
    assert "UG-2025-0077" in partial.content.decode()

    login(client, cast.customer_alpha)
    html = client.get(reverse("ticket_new")).content.decode()
    assert 'name="support_contact_id"' in html
    assert 'value="SC-1001"' in html
    assert 'name="diagnostics"' not in html


def test_product_choice_is_limited_to_the_contracts_products(client, cast):
    login(client, cast.customer_alpha)

    response = client.post(reverse("ticket_new"), alpha_form(cast, product=cast.product_ngfw.pk))

    assert response.status_code == 200
    assert "product" in response.context["form"].errors
    assert Ticket.objects.count() == 0


# Ticket page and isolation ---------------------------------------------------------------------


def test_ticket_page_shows_the_public_timeline_only(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    TicketEvent.objects.create(
        ticket=ticket,
        created_at=NOW + datetime.timedelta(minutes=5),
        actor=cast.engineer,
        kind=TicketEvent.Kind.INTERNAL_NOTE,
        is_internal=True,
        body="Customer seems confused, check licence pool",
    )
    TicketEvent.objects.create(
        ticket=ticket,
        created_at=NOW + datetime.timedelta(minutes=6),
        actor=cast.engineer,
        kind=TicketEvent.Kind.PUBLIC_REPLY,
        body="Please send the SEP client logs.",
    )
    login(client, cast.customer_alpha)

    response = client.get(reverse("ticket_detail", args=[ticket.number]))

    html = response.content.decode()
    assert response.status_code == 200
    assert [item["event"].kind for item in response.context["events"]] == [
        TicketEvent.Kind.REGISTERED,
        TicketEvent.Kind.PUBLIC_REPLY,
    ]
    assert "Please send the SEP client logs." in html
    assert "check licence pool" not in html
    assert "engineer@support.example" not in html
    # 10:00 Moscow time, shown in the customer's own zone.
    assert "10 марта 2026 г. 10:00" in html or "March 10, 2026, 10 a.m." in html


def test_ticket_page_shows_times_in_the_viewers_timezone(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    cast.customer_alpha.timezone = "Asia/Almaty"  # UTC+5: 10:00 Moscow is 12:00 there
    cast.customer_alpha.save(update_fields=["timezone"])
    login(client, cast.customer_alpha)

    html = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()

    assert "12:00" in html
    assert "Asia/Almaty" in html


def test_other_organizations_ticket_is_not_found(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    login(client, cast.customer_beta)

    assert client.get(reverse("ticket_detail", args=[ticket.number])).status_code == 404


def test_colleague_cannot_see_a_ticket_the_org_admin_can(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    url = reverse("ticket_detail", args=[ticket.number])

    assert login(client, cast.colleague_alpha).get(url).status_code == 404
    assert login(client, cast.orgadmin_alpha).get(url).status_code == 200
    assert client.get(reverse("ticket_detail", args=["SD-2026-999999"])).status_code == 404


def test_lists_show_only_permitted_tickets(client, cast):
    ivan = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    petr = make_ticket(cast, cast.colleague_alpha, cast.contract_alpha, cast.product_smg)
    olga = make_ticket(
        cast,
        cast.customer_beta,
        cast.contract_beta,
        cast.product_ngfw,
        license_key="UGNGFW-7A1C-92F0-4D1B",
    )

    def listed(user):
        response = login(client, user).get(reverse("ticket_list"))
        return [ticket.number for ticket in response.context["tickets"]]

    assert listed(cast.customer_alpha) == [ivan.number]
    assert listed(cast.colleague_alpha) == [petr.number]
    assert listed(cast.orgadmin_alpha) == [petr.number, ivan.number]
    assert listed(cast.customer_beta) == [olga.number]
    assert (
        olga.number
        not in login(client, cast.orgadmin_alpha).get(reverse("ticket_list")).content.decode()
    )


def test_list_filters_by_state(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    login(client, cast.customer_alpha)

    def listed(state):
        response = client.get(reverse("ticket_list"), {"state": state})
        return [t.number for t in response.context["tickets"]]

    assert listed("open") == [ticket.number]
    assert listed("closed") == []
    assert listed("all") == [ticket.number]


def test_list_pages_by_keyset_within_a_query_budget(client, cast, django_assert_max_num_queries):
    for minute in range(30):
        with time_machine.travel(NOW + datetime.timedelta(minutes=minute), tick=False):
            make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    login(client, cast.customer_alpha)

    with django_assert_max_num_queries(6):
        first = client.get(reverse("ticket_list"))
    numbers = [t.number for t in first.context["tickets"]]
    assert numbers == [f"SD-2026-{n:06d}" for n in range(30, 5, -1)]
    assert first.context["next_url"]

    with django_assert_max_num_queries(6):
        second = client.get(reverse("ticket_list") + first.context["next_url"])
    assert [t.number for t in second.context["tickets"]] == [
        f"SD-2026-{n:06d}" for n in range(5, 0, -1)
    ]
    assert second.context["next_url"] is None


def test_a_broken_cursor_starts_from_the_newest(client, cast):
    ticket = make_ticket(cast, cast.customer_alpha, cast.contract_alpha, cast.product_sep)
    login(client, cast.customer_alpha)

    response = client.get(reverse("ticket_list"), {"after": "garbage~x"})

    assert [t.number for t in response.context["tickets"]] == [ticket.number]


# Contracts -------------------------------------------------------------------------------------


def test_contracts_page_shows_level_validity_sla_channels_and_hotlines(client, cast):
    login(client, cast.customer_beta)

    response = client.get(reverse("contracts"))

    rows = {row["contract"].support_id: row for row in response.context["rows"]}
    assert set(rows) == {"UG-2025-0042", "UG-2025-0077"}
    premium = rows["UG-2025-0042"]
    assert premium["status"] == "active"
    assert [target["priority"] for target in premium["sla"]] == [
        "Critical",
        "High",
        "Medium",
        "Low",
    ]
    assert premium["hotlines"]  # premium sees the hotline
    assert rows["UG-2025-0077"]["hotlines"] == []  # standard does not
    assert [p["name"] for p in premium["priorities"]] == ["Critical", "High", "Medium", "Low"]
    html = response.content.decode()
    assert "SYM-100200" not in html


def test_expired_contract_is_shown_as_expired(client, cast):
    login(client, cast.customer_gamma)

    response = client.get(reverse("contracts"))

    assert [row["status"] for row in response.context["rows"]] == ["expired"]


def test_agents_have_no_customer_pages(client, cast):
    login(client, cast.engineer)

    assert client.get(reverse("ticket_new")).status_code == 403
    assert client.get(reverse("contracts")).status_code == 403


# Language --------------------------------------------------------------------------------------


def test_language_switch_is_remembered_on_the_account(client, cast):
    login(client, cast.customer_alpha)
    assert 'lang="ru"' in client.get(reverse("ticket_list")).content.decode()

    response = client.post(reverse("language"), {"language": "en", "next": reverse("ticket_list")})

    assert response.status_code == 302
    assert response.url == reverse("ticket_list")
    cast.customer_alpha.refresh_from_db()
    assert cast.customer_alpha.language == "en"
    html = client.get(reverse("ticket_list")).content.decode()
    assert 'lang="en"' in html


def test_language_switch_refuses_foreign_redirects(client, cast):
    login(client, cast.customer_alpha)

    response = client.post(reverse("language"), {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == "/"


def test_anonymous_language_switch_sets_the_cookie(client, cast):
    response = client.post(reverse("language"), {"language": "en", "next": "/accounts/login/"})

    assert response.cookies["django_language"].value == "en"
    assert 'lang="en"' in client.get("/accounts/login/").content.decode()


def test_a_signed_up_user_without_an_organization_is_told_what_to_do(client, cast):
    from supportdesk.accounts.models import User

    user = User.objects.create_user(
        "newcomer@example.com", password="a-long-password-1", language="en"
    )
    client.force_login(user)

    response = client.get(reverse("ticket_new"))

    assert response.status_code == 403
    assert "must belong to a customer organization" in response.content.decode()
    assert client.get("/tickets/NO-SUCH/").status_code == 404


def test_contracts_page_shows_hotline_instructions_in_the_users_language(client, cast):
    client.force_login(cast.customer_beta)  # English
    page = client.get(reverse("contracts")).content.decode()
    assert "The hotline number is given to the customer individually." in page
    assert "сообщается Пользователю индивидуально" not in page
