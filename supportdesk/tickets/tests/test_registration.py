"""The registration service: one path for portal, API and dispatcher; refusals say why."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import translation

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketEvent, TicketState
from supportdesk.tickets.services import RegistrationRefused, RegistrationRequest, register_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def sep_request(cast, **overrides) -> RegistrationRequest:
    """A complete regulation-000 request by Ivan through the portal."""
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_alpha,
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "subject": "Clients do not receive definitions",
        "description": "Since Monday clients show old definitions.",
    }
    fields.update(overrides)
    return RegistrationRequest(**fields)


def ngfw_request(cast, **overrides) -> RegistrationRequest:
    """A complete regulation-002 request by Olga."""
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_beta,
        "contact": cast.customer_beta.contact,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": "p2",
    }
    fields.update(overrides)
    return RegistrationRequest(**fields)


def refusal(request: RegistrationRequest) -> RegistrationRefused:
    with pytest.raises(RegistrationRefused) as info:
        register_ticket(request=request)
    return info.value


def assert_nothing_registered() -> None:
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_registers_000_ticket_with_number_event_and_email(cast):
    ticket = register_ticket(request=sep_request(cast))

    assert ticket.number == "SD-2026-000001"
    assert ticket.state == TicketState.REGISTERED
    assert ticket.organization == cast.alpha
    assert ticket.contract == cast.contract_alpha
    assert ticket.level.code == "essential"
    assert ticket.priority.code == "p4"  # the least urgent unless the customer chose
    assert ticket.team.name == "Russian support"
    assert ticket.registered_at == NOW
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor, event.created_at) == ("registered", cast.customer_alpha, NOW)
    mail = OutboxMessage.objects.get()
    assert mail.recipients == ["ivan@alpha.example"]
    assert mail.ticket == ticket
    assert mail.language == "ru"
    assert mail.subject.startswith("[SD-2026-000001] ")
    assert "SD-2026-000001" in mail.body_text
    assert "/tickets/SD-2026-000001/" in mail.body_text


def test_registers_002_ticket_by_license_key_with_chosen_priority(cast):
    ticket = register_ticket(request=ngfw_request(cast))

    assert ticket.contract == cast.contract_beta
    assert ticket.product == cast.product_ngfw  # taken from the license key
    assert ticket.license_key.key == "UGNGFW-7A1C-92F0-4D1B"
    assert ticket.priority.code == "p2"
    assert ticket.subject == "VPN tunnels drop every hour."
    mail = OutboxMessage.objects.get()
    assert (mail.recipients, mail.language) == (["olga@beta.example"], "en")
    assert mail.subject == (
        "[SD-2026-000001] Your request is registered: VPN tunnels drop every hour."
    )


def test_numbers_increase(cast):
    numbers = [register_ticket(request=sep_request(cast)).number for _ in range(3)]
    assert numbers == ["SD-2026-000001", "SD-2026-000002", "SD-2026-000003"]


def test_support_id_alone_identifies_the_contract_for_000(cast):
    ticket = register_ticket(
        request=sep_request(cast, support_contact_id="", support_id="SYM-100200")
    )
    assert ticket.contract == cast.contract_alpha


def test_missing_required_fields_are_named_and_nothing_is_created(cast):
    error = refusal(sep_request(cast, os_version="", service_pack=" "))

    assert error.reason == "missing_fields"
    assert error.fields == ["os_version", "service_pack"]
    assert "Operating system version, Service packs" in error.message
    assert_nothing_registered()
    record = RefusedRegistration.objects.get()
    assert (record.reason, record.organization, record.is_sales_lead) == (
        "missing_fields",
        cast.alpha,
        False,
    )


def test_000_needs_one_of_support_id_or_contact_id(cast):
    error = refusal(sep_request(cast, support_contact_id="", contact=None))
    assert error.reason == "missing_fields"
    assert set(error.fields) == {"support_id", "license_key", "support_contact_id"}
    assert_nothing_registered()


def test_expired_contract_is_refused_and_becomes_a_sales_lead(cast):
    error = refusal(
        sep_request(
            cast,
            requested_by=cast.customer_gamma,
            contact=cast.customer_gamma.contact,
            support_contact_id="",
            support_id="SYM-900900",
        )
    )

    assert error.reason == "contract_expired"
    assert error.message == (
        "Contract SYM-900900 expired on 2025-12-31. Support is not provided under expired "
        "contracts. Please contact your account manager to renew it."
    )
    assert_nothing_registered()
    record = RefusedRegistration.objects.get()
    assert record.is_sales_lead is True
    assert record.contract == cast.contract_gamma_expired
    assert record.submitted["support_id"] == "SYM-900900"
    notice = OutboxMessage.objects.get()
    assert notice.recipients == ["sales@support.example"]
    assert notice.ticket is None


def test_unknown_support_id_and_license_key(cast):
    assert refusal(sep_request(cast, support_id="SYM-000000")).reason == "unknown_contract"
    assert refusal(ngfw_request(cast, license_key="NOPE")).reason == "unknown_license_key"
    assert_nothing_registered()
    assert RefusedRegistration.objects.count() == 2


def test_product_not_covered_and_consumer_line(cast):
    not_covered = refusal(sep_request(cast, product=cast.product_ug_client))
    assert not_covered.reason == "product_not_covered"
    assert "does not cover UserGate Client" in not_covered.message

    consumer = refusal(sep_request(cast, product=cast.product_norton))
    assert consumer.reason == "consumer_product"
    assert "8 10 800 21221044" in consumer.message
    assert_nothing_registered()


def test_license_key_of_another_product_is_refused(cast):
    error = refusal(ngfw_request(cast, product=cast.product_ug_client))
    assert error.reason == "product_not_covered"
    assert_nothing_registered()


def test_email_is_allowed_only_for_the_veritas_line(cast):
    error = refusal(sep_request(cast, channel=Channel.EMAIL))
    assert error.reason == "channel_not_allowed"
    assert "Please use:" in error.message
    assert "E-mail" not in error.message.split("Please use:")[1]
    assert_nothing_registered()

    ticket = register_ticket(
        request=sep_request(cast, channel=Channel.EMAIL, product=cast.product_netbackup)
    )
    assert ticket.channel == Channel.EMAIL


def test_002_hotline_only_for_extended_and_premium(cast):
    standard = refusal(
        ngfw_request(cast, channel=Channel.PHONE, license_key="UGNGFW-STD0-0000-0077")
    )
    assert standard.reason == "channel_not_allowed"
    assert_nothing_registered()

    premium = register_ticket(request=ngfw_request(cast, channel=Channel.PHONE))
    assert premium.level.code == "premium"


def test_002_refuses_email(cast):
    assert refusal(ngfw_request(cast, channel=Channel.EMAIL)).reason == "channel_not_allowed"


def test_002_requires_license_key_version_description_and_priority(cast):
    error = refusal(
        ngfw_request(cast, license_key="", support_id="UG-2025-0042", version="", priority_code="")
    )
    assert error.reason == "missing_fields"
    assert set(error.fields) >= {"license_key", "version", "priority"}
    assert_nothing_registered()


def test_contract_of_another_organization_is_refused(cast):
    """A dispatcher cannot file Olga's call under Alpha's contract."""
    error = refusal(
        sep_request(
            cast,
            channel=Channel.PHONE,
            requested_by=cast.dispatcher,
            contact=cast.customer_beta.contact,
            support_contact_id="",
            support_id="SYM-100200",
        )
    )
    assert error.reason == "wrong_organization"
    assert_nothing_registered()


def test_someone_elses_support_contact_id_is_refused(cast):
    error = refusal(sep_request(cast, support_contact_id="SC-1002"))
    assert error.reason == "unknown_contact"
    assert_nothing_registered()


def test_unknown_priority_is_refused(cast):
    error = refusal(ngfw_request(cast, priority_code="urgent!!"))
    assert error.reason == "invalid"
    assert error.fields == ["priority"]


def test_dispatcher_registers_by_support_contact_id(cast):
    ticket = register_ticket(
        request=sep_request(cast, channel=Channel.PHONE, requested_by=cast.dispatcher, contact=None)
    )
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.registered_by == cast.dispatcher
    assert ticket.channel == Channel.PHONE


def test_refusal_message_is_translated(cast):
    with translation.override("ru"):
        error = refusal(sep_request(cast, support_id="SYM-000000"))
    assert error.message.startswith("Support ID SYM-000000 неизвестен")
