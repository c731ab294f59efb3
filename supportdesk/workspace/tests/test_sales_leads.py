"""The sales page: refused registrations that are real leads, with CSV export; form mistakes
are neither listed nor e-mailed to sales."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import RefusedRegistration
from supportdesk.tickets.registration import (
    RegistrationRefused,
    RegistrationRequest,
    register_ticket,
)


def refuse(cast, user, **fields) -> RefusedRegistration:
    request = RegistrationRequest(
        channel=Channel.PORTAL,
        requested_by=user,
        contact=user.contact,
        version="1",
        os_version="Linux",
        service_pack="-",
        description="Help.",
        **fields,
    )
    with pytest.raises(RegistrationRefused) as info:
        register_ticket(request=request)
    assert info.value.refusal is not None
    return info.value.refusal


def test_leads_are_listed_exported_and_mailed_form_mistakes_are_not(client, cast):
    expired = refuse(cast, cast.customer_gamma, support_id="SYM-900900", product=cast.product_sep)
    not_covered = refuse(
        cast, cast.customer_alpha, support_id="SYM-100200", product=cast.product_ngfw
    )
    mistake = refuse(cast, cast.customer_alpha, support_id="SYM-100200")  # no product
    assert (expired.is_sales_lead, not_covered.is_sales_lead, mistake.is_sales_lead) == (
        True,
        True,
        False,
    )
    assert OutboxMessage.objects.filter(template="registration_refused").count() == 2

    client.force_login(cast.account_manager)
    page = client.get(reverse("workspace:sales_leads"))
    assert set(page.context["leads"]) == {expired, not_covered}
    csv = client.get(reverse("workspace:sales_leads"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("date,organization,contract")
    assert any("SYM-900900" in line and "contract_expired" in line for line in lines)


def test_customers_and_engineers_have_no_sales_page(client, cast):
    for user in (cast.customer_alpha, cast.engineer):
        client.force_login(user)
        assert client.get(reverse("workspace:sales_leads")).status_code == 403
