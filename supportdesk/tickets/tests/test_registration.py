"""The registration service: one path for portal, API and dispatcher; a refusal is recorded and
changes nothing else (the rules: contracts/tests/test_entitlements.py)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import translation

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketEvent, TicketState
from supportdesk.tickets.registration import (
    RegistrationRefused,
    RegistrationRequest,
    register_ticket,
)
from supportdesk.tickets.tests.helpers import confirmed_checklist

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
        "diagnostics_confirmed": confirmed_checklist(cast),
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
    assert ticket.team is not None and ticket.team.name == "Russian support"
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
    assert ticket.license_key == cast.license_key_beta
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
        "Contract SYM-900900 expired on 31 December 2025. Support is not provided under expired "
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


def test_every_refusal_is_recorded_and_creates_nothing(cast):
    """The rules themselves are tested in contracts/tests/test_entitlements.py."""
    assert refusal(sep_request(cast, support_id="SYM-000000")).reason == "unknown_contract"
    assert refusal(ngfw_request(cast, license_key="NOPE")).reason == "unknown_license_key"
    assert_nothing_registered()
    assert RefusedRegistration.objects.count() == 2


def test_the_channel_is_recorded_on_the_ticket(cast):
    ticket = register_ticket(
        request=sep_request(cast, channel=Channel.EMAIL, product=cast.product_netbackup)
    )
    assert ticket.channel == Channel.EMAIL


def test_dispatcher_registers_by_support_contact_id(cast):
    ticket = register_ticket(
        request=sep_request(cast, channel=Channel.PHONE, requested_by=cast.dispatcher, contact=None)
    )
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.registered_by == cast.dispatcher
    assert ticket.channel == Channel.PHONE
