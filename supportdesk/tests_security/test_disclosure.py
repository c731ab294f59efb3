"""No refusal tells a customer anything about another organization.

A registration that names another organization's Support ID, license key or Support Contact ID is
answered exactly like one naming a value that does not exist (same status, code, message and
fields once the typed value is taken out), so a refusal is no existence check. Every refusal
reason has a scenario here; a new reason fails ``test_every_refusal_reason_has_a_scenario`` until
it gets one. See docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from supportdesk.accounts.models import Contact, ContactPhone, Organization
from supportdesk.contracts.entitlements import Refusal, RefusalReason, check_entitlement
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.regulations.models import Channel
from supportdesk.tests_security.conftest import NOW, bearer
from supportdesk.tests_security.test_reserved_fields import SEP_FORM
from supportdesk.tickets.registration import RegistrationRequest


def foreign_markers(cast, own_id: int | None = None) -> set[str]:
    """Everything that identifies an organization other than the requester's (alpha's)."""
    markers: set[str] = set()
    others = Organization.objects.exclude(pk=own_id or cast.alpha.pk)
    markers |= set(others.values_list("name", flat=True))
    markers |= set(
        Contract.objects.filter(organization__in=others).values_list("support_id", flat=True)
    )
    markers |= set(
        LicenseKey.objects.filter(contract__organization__in=others).values_list("key", flat=True)
    )
    for contact in Contact.objects.filter(organization__in=others).select_related("user"):
        markers |= {
            contact.user.email,
            contact.support_contact_id or "",
            contact.user.get_full_name(),
        }
    markers |= set(
        ContactPhone.objects.filter(contact__organization__in=others).values_list(
            "number", flat=True
        )
    )
    return {marker for marker in markers if marker}


def ivan(cast, **overrides) -> RegistrationRequest:
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_alpha,
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "description": "Clients show old definitions.",
    }
    return RegistrationRequest(**{**fields, **overrides})


# reason → (the request's overrides, the moment): ivan of alpha asks, in every way it is refused.
# The first three name another organization's identifier; "wrong_organization" is no longer an
# answer: another organization's contract is unknown.
SCENARIOS = {
    RefusalReason.UNKNOWN_CONTRACT: (lambda c: {"support_id": "UG-2025-0042"}, NOW),
    RefusalReason.UNKNOWN_LICENSE_KEY: (lambda c: {"license_key": "UGNGFW-7A1C-92F0-4D1B"}, NOW),
    RefusalReason.UNKNOWN_CONTACT: (lambda c: {"support_contact_id": "SC-2001"}, NOW),
    RefusalReason.WRONG_ORGANIZATION: (
        lambda c: {"support_id": "UG-2025-0042", "license_key": "UGNGFW-7A1C-92F0-4D1B"},
        NOW,
    ),
    RefusalReason.CONTRACT_EXPIRED: (lambda c: {}, dt.datetime(2029, 3, 1, 9, tzinfo=dt.UTC)),
    RefusalReason.CONTRACT_NOT_STARTED: (lambda c: {}, dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)),
    RefusalReason.PRODUCT_NOT_COVERED: (lambda c: {"product": c.product_ngfw}, NOW),
    RefusalReason.CONSUMER_PRODUCT: (lambda c: {"product": c.product_norton}, NOW),
    RefusalReason.CHANNEL_NOT_ALLOWED: (lambda c: {"channel": Channel.EMAIL}, NOW),
    RefusalReason.MISSING_FIELDS: (lambda c: {"version": ""}, NOW),
    RefusalReason.INVALID: (lambda c: {"priority_code": "zz"}, NOW),
    # Beta's 002 request without the primary diagnostics checklist.
    RefusalReason.DIAGNOSTICS_NOT_CONFIRMED: (
        lambda c: {
            "requested_by": c.customer_beta,
            "contact": c.customer_beta.contact,
            "support_contact_id": "",
            "license_key": "UGNGFW-7A1C-92F0-4D1B",
            "product": c.product_ngfw,
            "version": "7.2",
            "priority_code": "p2",
        },
        NOW,
    ),
}

# Another organization's identifier and a value of the same shape that exists nowhere.
IDENTIFIERS = [
    ("support_id", "UG-2025-0042", "UG-2025-9999"),
    ("support_id", "SYM-900900", "SYM-999999"),
    ("license_key", "UGNGFW-7A1C-92F0-4D1B", "UGNGFW-0000-0000-0000"),
    ("support_contact_id", "SC-2001", "SC-9999"),
]


def refused(request: RegistrationRequest, now: dt.datetime) -> Refusal:
    with pytest.raises(Refusal) as info:
        check_entitlement(request, now=now)
    return info.value


def test_every_refusal_reason_has_a_scenario():
    assert set(SCENARIOS) == set(RefusalReason)


@pytest.mark.parametrize("reason", list(SCENARIOS), ids=[str(r.value) for r in SCENARIOS])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_refusal_names_another_organization(cast, reason, language):
    overrides, now = SCENARIOS[reason]
    with translation.override(language):
        refusal = refused(ivan(cast, **overrides(cast)), now)
    expected = RefusalReason.UNKNOWN_LICENSE_KEY if reason == "wrong_organization" else reason
    assert refusal.reason == expected
    typed = set(overrides(cast).values())
    own = overrides(cast).get("contact", cast.customer_alpha.contact).organization_id
    leaked = {m for m in foreign_markers(cast, own) if m in refusal.message and m not in typed}
    assert not leaked, refusal.message
    assert refusal.organization_id == own
    assert refusal.contract is None or refusal.contract.organization_id == own


@pytest.mark.parametrize(("field", "foreign", "unknown"), IDENTIFIERS)
def test_another_organizations_identifier_is_answered_as_unknown(cast, field, foreign, unknown):
    their = refused(ivan(cast, **{field: foreign}), NOW)
    nobodys = refused(ivan(cast, **{field: unknown}), NOW)
    assert their.reason == nobodys.reason
    assert their.message.replace(foreign, "…") == nobodys.message.replace(unknown, "…")
    assert their.fields == nobodys.fields


@pytest.mark.parametrize(("field", "foreign", "unknown"), IDENTIFIERS)
def test_the_api_answers_another_organizations_identifier_as_unknown(
    cast, frozen, field, foreign, unknown
):
    client = Client()
    headers: dict[str, Any] = bearer(cast.customer_alpha)

    def answer(value: str) -> tuple[int, dict]:
        payload = {**SEP_FORM, "product": cast.product_sep.code, field: value}
        response = client.post(
            "/api/v1/tickets", payload, content_type="application/json", **headers
        )
        body = response.json()
        body["message"] = body["message"].replace(value, "…")
        return response.status_code, body

    assert answer(foreign) == answer(unknown)
    assert answer(foreign)[0] == 422


def test_the_portal_answers_another_organizations_key_as_unknown(cast, frozen):
    client = Client()
    client.force_login(cast.customer_alpha)
    form = {
        **SEP_FORM,
        "contract": str(cast.contract_alpha.pk),
        "product": str(cast.product_sep.pk),
    }
    pages = []
    for key in ("UGNGFW-7A1C-92F0-4D1B", "UGNGFW-0000-0000-0000"):
        response = client.post("/tickets/new/", {**form, "license_key": key})
        assert response.status_code == 200
        page = re.sub(r'value="[A-Za-z0-9]{64}"', "", response.text)  # the CSRF token
        pages.append(page.replace(key, "…"))
    assert pages[0] == pages[1]
    assert not {m for m in foreign_markers(cast) if m in pages[0]}
