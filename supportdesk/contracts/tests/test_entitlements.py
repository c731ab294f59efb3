"""contracts.entitlements: every rule that decides whether a request may exist, without tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import translation

from supportdesk.accounts.models import Contact
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import (
    Refusal,
    active_contracts,
    check_entitlement,
    contract_status,
    regulation_day,
)
from supportdesk.regulations.models import Channel, RegistrationField

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # Monday, 12:30 Moscow


@dataclass(frozen=True)
class Claim:
    """What a registration submits, as the entitlement check reads it."""

    channel: str = Channel.PORTAL
    contact: Contact | None = None
    support_id: str = ""
    support_contact_id: str = ""
    license_key: str = ""
    product: Product | None = None
    version: str = ""
    os_version: str = ""
    service_pack: str = ""
    subject: str = ""
    description: str = ""
    priority_code: str = ""

    def value_of(self, name: str) -> object:
        return getattr(self, "priority_code" if name == RegistrationField.PRIORITY else name)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sep(cast, **overrides) -> Claim:
    """A complete regulation-000 request by Ivan."""
    fields = {
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "description": "Since Monday clients show old definitions.",
    }
    return Claim(**{**fields, **overrides})


def ngfw(cast, **overrides) -> Claim:
    """A complete regulation-002 request by Olga."""
    fields = {
        "contact": cast.customer_beta.contact,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": "p2",
    }
    return Claim(**{**fields, **overrides})


def refused(claim: Claim, now: dt.datetime = NOW) -> Refusal:
    with pytest.raises(Refusal) as info:
        check_entitlement(claim, now=now)
    return info.value


def test_a_complete_000_request_is_entitled_with_the_lowest_priority(cast):
    entitlement = check_entitlement(sep(cast), now=NOW)
    assert entitlement.contact == cast.customer_alpha.contact
    assert entitlement.contract == cast.contract_alpha
    assert entitlement.product == cast.product_sep
    assert entitlement.license_key is None
    assert entitlement.priority.code == "p4"  # the least urgent unless the customer chose


def test_a_002_license_key_gives_contract_and_product(cast):
    entitlement = check_entitlement(ngfw(cast), now=NOW)
    assert entitlement.contract == cast.contract_beta
    assert entitlement.product == cast.product_ngfw
    assert entitlement.license_key == cast.license_key_beta
    assert entitlement.priority.code == "p2"


def test_support_id_alone_identifies_the_contract_for_000(cast):
    claim = sep(cast, support_contact_id="", support_id="SYM-100200")
    assert check_entitlement(claim, now=NOW).contract == cast.contract_alpha


def test_support_contact_id_alone_identifies_caller_and_contract(cast):
    entitlement = check_entitlement(sep(cast, channel=Channel.PHONE, contact=None), now=NOW)
    assert entitlement.contact == cast.customer_alpha.contact
    assert entitlement.contract == cast.contract_alpha


def test_missing_required_fields_are_named(cast):
    error = refused(sep(cast, os_version="", service_pack=" "))
    assert error.reason == "missing_fields"
    assert error.fields == ["os_version", "service_pack"]
    assert "Operating system version, Service packs" in error.message
    assert (error.contract, error.organization_id) == (cast.contract_alpha, cast.alpha.pk)


def test_000_needs_one_of_support_id_or_contact_id(cast):
    error = refused(sep(cast, support_contact_id="", contact=None))
    assert error.reason == "missing_fields"
    assert set(error.fields) == {"support_id", "license_key", "support_contact_id"}


def test_002_requires_license_key_version_description_and_priority(cast):
    error = refused(
        ngfw(cast, license_key="", support_id="UG-2025-0042", version="", priority_code="")
    )
    assert error.reason == "missing_fields"
    assert set(error.fields) >= {"license_key", "version", "priority"}


def test_expired_contract_is_refused_by_the_regulations_day(cast):
    claim = sep(
        cast, contact=cast.customer_gamma.contact, support_contact_id="", support_id="SYM-900900"
    )
    error = refused(claim)
    assert error.reason == "contract_expired"
    assert error.message == (
        "Contract SYM-900900 expired on 31 December 2025. Support is not provided under expired "
        "contracts. Please contact your account manager to renew it."
    )
    assert error.contract == cast.contract_gamma_expired


def test_the_last_day_of_a_contract_ends_at_midnight_of_the_regulations_calendar(cast):
    contract = cast.contract_alpha
    # 20:59 UTC is 23:59 in Moscow (UTC+3) on the last day; two minutes later it is the next day.
    last_day = dt.datetime.combine(contract.valid_to, dt.time(20, 59), tzinfo=dt.UTC)
    assert regulation_day(contract.regulation, last_day) == contract.valid_to
    assert check_entitlement(sep(cast), now=last_day).contract == contract
    next_day = last_day + dt.timedelta(minutes=2)
    assert refused(sep(cast), now=next_day).reason == "contract_expired"
    assert contract_status(contract, next_day) == "expired"


def test_a_contract_is_not_valid_before_its_first_day(cast):
    contract = cast.contract_alpha
    before = dt.datetime.combine(contract.valid_from, dt.time(0, 0), tzinfo=dt.UTC) - dt.timedelta(
        hours=4
    )
    error = refused(sep(cast), now=before)
    assert error.reason == "contract_not_started"
    assert contract_status(contract, before) == "not_started"


def test_active_contracts_are_those_running_today(cast):
    active = active_contracts(organization_id=cast.alpha.pk, now=NOW)
    assert cast.contract_alpha in active
    assert all(contract_status(c, NOW) == "active" for c in active)
    assert active_contracts(organization_id=cast.gamma.pk, now=NOW) == []


def test_unknown_support_id_and_license_key(cast):
    assert refused(sep(cast, support_id="SYM-000000")).reason == "unknown_contract"
    assert refused(ngfw(cast, license_key="NOPE")).reason == "unknown_license_key"


def test_product_not_covered_and_consumer_line(cast):
    not_covered = refused(sep(cast, product=cast.product_ug_client))
    assert not_covered.reason == "product_not_covered"
    assert "does not cover UserGate Client" in not_covered.message

    consumer = refused(sep(cast, product=cast.product_norton))
    assert consumer.reason == "consumer_product"
    assert "8 10 800 21221044" in consumer.message


def test_license_key_of_another_product_is_refused(cast):
    assert refused(ngfw(cast, product=cast.product_ug_client)).reason == "product_not_covered"


def test_email_is_allowed_only_for_the_veritas_line(cast):
    error = refused(sep(cast, channel=Channel.EMAIL))
    assert error.reason == "channel_not_allowed"
    assert "Please use:" in error.message
    assert "E-mail" not in error.message.split("Please use:")[1]
    claim = sep(cast, channel=Channel.EMAIL, product=cast.product_netbackup)
    assert check_entitlement(claim, now=NOW).product == cast.product_netbackup


def test_002_hotline_only_for_extended_and_premium(cast):
    standard = refused(ngfw(cast, channel=Channel.PHONE, license_key="UGNGFW-STD0-0000-0077"))
    assert standard.reason == "channel_not_allowed"
    premium = check_entitlement(ngfw(cast, channel=Channel.PHONE), now=NOW)
    assert premium.contract.level.code == "premium"


def test_002_refuses_email(cast):
    assert refused(ngfw(cast, channel=Channel.EMAIL)).reason == "channel_not_allowed"


def test_contract_of_another_organization_is_refused(cast):
    """A dispatcher cannot file Olga's call under Alpha's contract."""
    claim = sep(
        cast,
        channel=Channel.PHONE,
        contact=cast.customer_beta.contact,
        support_contact_id="",
        support_id="SYM-100200",
    )
    # Answered as an unknown Support ID: the refusal is no existence check (tests_security).
    assert refused(claim).reason == "unknown_contract"


def test_someone_elses_support_contact_id_is_refused(cast):
    assert refused(sep(cast, support_contact_id="SC-1002")).reason == "unknown_contact"


def test_unknown_priority_is_refused(cast):
    error = refused(ngfw(cast, priority_code="urgent!!"))
    assert error.reason == "invalid"
    assert error.fields == ["priority"]


def test_refusal_message_is_translated(cast):
    with translation.override("ru"):
        error = refused(sep(cast, support_id="SYM-000000"))
    assert error.message.startswith("Support ID SYM-000000 неизвестен")
