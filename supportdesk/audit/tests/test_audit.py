"""The audit log: append-only records of changes, sign-ins, downloads and re-sends; the admin's
read-only page with filters; the retention purge."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.http import HttpResponse
from django.urls import reverse

from supportdesk.audit.context import AuditContextMiddleware
from supportdesk.audit.models import AppendOnlyError, AuditRecord
from supportdesk.audit.services import purge_expired, record
from supportdesk.audit.tasks import purge_audit_log
from supportdesk.portal.tests.helpers import png_file, sep_ticket
from supportdesk.tickets.models import Attachment

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_records_cannot_be_changed_or_deleted_through_the_orm(cast):
    entry = record("login", actor=cast.manager)
    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=entry.pk).update(detail="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.detail == ""


@pytest.mark.django_db
def test_a_change_to_a_regulation_is_recorded_with_who_where_and_what(rf, cast):
    """Any save in a request (an admin form, a service) is attributed to the request's user."""
    regulation = cast.regulation_000
    before = regulation.name
    request = rf.post("/admin/regulations/regulation/1/change/", REMOTE_ADDR="10.0.0.7")
    request.user = cast.administrator

    def view(request):
        regulation.name = "Renamed regulation"
        regulation.save()
        return HttpResponse()

    AuditContextMiddleware(view)(request)
    regulation.name = "Renamed by a command"
    regulation.save()  # outside a request: no actor

    by_admin, by_command = AuditRecord.objects.filter(
        action="change", target_type="regulations.regulation", target_id=str(regulation.pk)
    ).order_by("id")
    assert (by_admin.actor_id, by_admin.actor_email, by_admin.ip) == (
        cast.administrator.pk,
        cast.administrator.email,
        "10.0.0.7",
    )
    assert by_admin.changes["name"] == [before, "Renamed regulation"]
    assert (by_command.actor_id, by_command.ip) == (None, None)
    assert by_command.changes["name"] == ["Renamed regulation", "Renamed by a command"]


@pytest.mark.django_db
def test_roles_contracts_tokens_and_passwords_are_recorded_secrets_by_name_only(cast):
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    agent = cast.engineer.agent
    agent.role = "manager"
    agent.save()
    cast.contract_alpha.save()  # nothing changed: nothing recorded
    cast.engineer.set_password("new secret")
    cast.engineer.save()

    role = AuditRecord.objects.get(target_type="accounts.agent", target_id=str(agent.pk))
    assert role.changes == {"role": ["engineer", "manager"]}
    assert not AuditRecord.objects.filter(
        id__gt=mark, target_type="contracts.contract", target_id=str(cast.contract_alpha.pk)
    ).exists()
    password = AuditRecord.objects.get(
        action="change", target_type="accounts.user", target_id=str(cast.engineer.pk)
    )
    assert password.changes == {"password": ["…", "…"]}
    assert "new secret" not in str(AuditRecord.objects.values_list("changes", flat=True))


@pytest.mark.django_db
def test_api_tokens_created_and_revoked_through_the_page_are_recorded(client, cast):
    client.force_login(cast.engineer)
    client.post(reverse("api_tokens"), {"name": "ci"})
    entry = AuditRecord.objects.get(action="create", target_type="api.apitoken")
    assert entry.actor_id == cast.engineer.pk
    assert entry.changes["token_hash"] == [None, "…"]


@pytest.mark.django_db
def test_sign_ins_and_failures_are_recorded_for_known_and_unknown_addresses(client, cast):
    login = reverse("account_login")
    client.post(login, {"login": "ivan@alpha.example", "password": "wrong"})
    client.post(login, {"login": "nobody@alpha.example", "password": "wrong"})
    client.post(login, {"login": "ivan@alpha.example", "password": "demo"})

    failed = AuditRecord.objects.filter(action="login_failed").order_by("id")
    assert [f.actor_email for f in failed] == ["ivan@alpha.example", "nobody@alpha.example"]
    assert all(f.ip == "127.0.0.1" and f.actor_id is None for f in failed)
    [signed_in] = AuditRecord.objects.filter(action="login")
    assert signed_in.actor_id == cast.customer_alpha.pk
    assert "wrong" not in str(AuditRecord.objects.values_list("detail", "changes"))


@pytest.mark.django_db
def test_agents_downloads_are_recorded_and_customers_are_not(client, cast):
    ticket = sep_ticket(cast)
    client.force_login(cast.customer_alpha)
    reply = reverse("ticket_reply", args=[ticket.number])
    assert (
        client.post(reply, {"body": "Screen", "files": [png_file("shot.png")]}).status_code == 302
    )
    attachment = Attachment.objects.get(original_name="shot.png")
    url = reverse("attachment", args=[attachment.pk])
    assert client.get(url).status_code == 200
    client.force_login(cast.manager)
    assert client.get(url).status_code == 200

    [download] = AuditRecord.objects.filter(action="download")
    assert (download.actor_id, download.target_type, download.target_id) == (
        cast.manager.pk,
        "tickets.attachment",
        str(attachment.pk),
    )


@pytest.mark.django_db
def test_the_admin_page_lists_and_filters_for_administrators_only(client, cast):
    record("login", actor=cast.manager)
    record("download", actor=cast.engineer, detail="a file")
    url = reverse("admin:audit_auditrecord_changelist")

    client.force_login(cast.account_manager)  # staff, without the permission
    assert client.get(url).status_code == 403
    client.force_login(cast.administrator)
    page = client.get(url, {"action__exact": "download"})
    assert page.status_code == 200
    shown = list(page.context["cl"].result_list)
    assert [r.action for r in shown] == ["download"]
    entry = shown[0]
    change = client.get(reverse("admin:audit_auditrecord_change", args=[entry.pk]))
    assert change.status_code == 200
    assert (
        client.post(reverse("admin:audit_auditrecord_delete", args=[entry.pk])).status_code == 403
    )


@pytest.mark.django_db
def test_retention_purges_only_records_older_than_the_setting(cast, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    AuditRecord.objects.all().purge_before(T0 + datetime.timedelta(days=3650))
    with time_machine.travel(T0, tick=False):
        record("login", actor=cast.manager)
    with time_machine.travel(T0 + datetime.timedelta(days=20), tick=False):
        record("login", actor=cast.engineer)

    assert purge_expired(now=T0 + datetime.timedelta(days=29)) == 0
    assert purge_expired(now=T0 + datetime.timedelta(days=31)) == 1
    assert list(AuditRecord.objects.values_list("actor_id", flat=True)) == [cast.engineer.pk]
    with time_machine.travel(T0 + datetime.timedelta(days=60), tick=False):
        assert purge_audit_log() == 1
    assert AuditRecord.objects.count() == 0
