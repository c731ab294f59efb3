"""The SLA report pages: who may read which contract's report, and the downloads."""

import pytest

from supportdesk.audit.models import AuditRecord
from supportdesk.tickets.tests.helpers import NOW, ngfw_ticket, sep_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    return sep_ticket(cast), ngfw_ticket(cast)


def test_a_manager_reads_any_contracts_report_and_downloads_it(client, cast, tickets):
    sep, _ngfw = tickets
    client.force_login(cast.manager)
    query = {"contract": sep.contract_id, "month": "2026-11"}

    page = client.get("/workspace/reports/sla/", query)
    assert page.status_code == 200
    assert sep.number.encode() in page.content
    csv = client.get("/workspace/reports/sla/", {**query, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert 'filename="sla-SYM-100200-2026-11.csv"' in csv["Content-Disposition"]
    assert sep.number in csv.content.decode()
    xlsx = client.get("/workspace/reports/sla/", {**query, "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    # Both downloads are in the audit log; showing the page is not.
    exported = AuditRecord.objects.filter(action="export").order_by("id")
    assert [(e.actor_id, e.detail.split(":")[0]) for e in exported] == [
        (cast.manager.pk, "sla-SYM-100200-2026-11.csv"),
        (cast.manager.pk, "sla-SYM-100200-2026-11.xlsx"),
    ]


def test_engineers_and_plain_customers_get_no_report(client, cast, tickets):
    sep, _ngfw = tickets
    query = {"contract": sep.contract_id, "month": "2026-11"}
    client.force_login(cast.engineer)
    assert client.get("/workspace/reports/sla/", query).status_code == 403
    client.force_login(cast.customer_alpha)
    assert client.get("/reports/sla/", query).status_code == 403


def test_an_org_admin_reads_only_their_organizations_contracts(client, cast, tickets):
    sep, ngfw = tickets
    client.force_login(cast.orgadmin_alpha)
    own = client.get("/reports/sla/", {"contract": sep.contract_id, "month": "2026-11"})
    assert own.status_code == 200
    assert sep.number.encode() in own.content
    other = client.get(
        "/reports/sla/", {"contract": ngfw.contract_id, "month": "2026-11", "format": "csv"}
    )
    assert other.status_code == 400
    assert ngfw.number.encode() not in other.content
    assert b"Content-Disposition" not in other.serialize_headers()


def test_a_bad_month_is_a_400_with_the_reason(client, cast, tickets):
    sep, _ngfw = tickets
    client.force_login(cast.manager)
    query = {"contract": sep.contract_id, "month": "2026-13"}
    response = client.get("/workspace/reports/sla/", query)
    assert response.status_code == 400
    assert "ГГГГ-ММ" in response.content.decode()  # the manager reads Russian
