from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from supportdesk.demo.cast import DemoCast

APPS = {"accounts", "catalog", "regulations", "contracts", "tickets", "outbox"}

REGULATION_INLINES = [
    "levels",
    "channels",
    "hotlines",
    "required_fields",
    "diagnostics_items",
    "priorities",
    "sla_targets",
    "work_methods",
    "escalation_contacts",
    "language_routes",
]


def our_models():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS
    ]


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, model


@pytest.mark.parametrize("language", ["ru", "en"])
def test_changelist_and_add_pages(client, cast: DemoCast, language):
    cast.administrator.language = language
    cast.administrator.save(update_fields=["language"])
    client.force_login(cast.administrator)

    for model, model_admin in our_models():
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, model
        assert f'lang="{language}"' in response.content.decode()
        add = client.get(reverse("admin:{}_{}_add".format(*info)))
        # Tickets, the timeline and the outbox are written by services only.
        expected = 200 if model_admin.has_add_permission(add.wsgi_request) else 403
        assert add.status_code == expected, model


@pytest.mark.parametrize(("language", "save_label"), [("ru", "Сохранить"), ("en", "Save")])
def test_regulation_change_page_shows_its_inlines(client, cast: DemoCast, language, save_label):
    cast.administrator.language = language
    cast.administrator.save(update_fields=["language"])
    client.force_login(cast.administrator)

    for regulation, level_name in [
        (cast.regulation_000, "Essential"),
        (cast.regulation_002, "Расширенная"),
    ]:
        url = reverse("admin:regulations_regulation_change", args=[regulation.pk])
        response = client.get(url)

        assert response.status_code == 200
        page = response.content.decode()
        assert f'lang="{language}"' in page
        assert save_label in page
        assert regulation.name in page
        assert level_name in page
        for prefix in REGULATION_INLINES:
            assert f'name="{prefix}-TOTAL_FORMS"' in page, prefix
        total = response.context["inline_admin_formsets"]
        counts = {f.formset.prefix: f.formset.initial_form_count() for f in total}
        assert counts["levels"] == 3
        assert counts["sla_targets"] == 12
        assert counts["priorities"] == 4


def test_regulation_inline_offers_only_its_own_levels(client, cast: DemoCast):
    client.force_login(cast.administrator)

    url = reverse("admin:regulations_regulation_change", args=[cast.regulation_002.pk])
    response = client.get(url)

    formset = next(
        f.formset for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "sla_targets"
    )  # fmt: skip
    levels = formset.forms[0].fields["level"].queryset
    assert sorted(levels.values_list("code", flat=True)) == ["extended", "premium", "standard"]


def test_ticket_timeline_is_read_only(client, cast: DemoCast):
    from supportdesk.tickets.models import TicketEvent

    client.force_login(cast.administrator)
    model_admin = admin.site._registry[TicketEvent]
    request = client.get(reverse("admin:tickets_ticketevent_changelist")).wsgi_request

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False


def test_contract_and_calendar_change_pages(client, cast: DemoCast):
    from supportdesk.regulations.models import BusinessCalendar

    client.force_login(cast.administrator)

    contract = client.get(reverse("admin:contracts_contract_change", args=[cast.contract_beta.pk]))
    calendar = client.get(
        reverse(
            "admin:regulations_businesscalendar_change",
            args=[BusinessCalendar.objects.get(name="MSK 08-20").pk],
        )
    )
    organization = client.get(reverse("admin:accounts_organization_change", args=[cast.alpha.pk]))
    user = client.get(reverse("admin:accounts_user_change", args=[cast.customer_alpha.pk]))

    assert contract.status_code == 200
    assert "UGNGFW-7A1C-92F0-4D1B" in contract.content.decode()
    assert calendar.status_code == 200
    assert 'name="hours-TOTAL_FORMS" value="5"' in calendar.content.decode()
    assert organization.status_code == 200
    assert "SC-1003" in organization.content.decode()
    assert user.status_code == 200
    assert "ivan@alpha.example" in user.content.decode()


def test_service_written_rows_are_shown_read_only(client, cast: DemoCast):
    from django.utils import timezone

    from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage
    from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketEvent

    now = timezone.now()
    ticket = Ticket.objects.create(
        number="SD-2026-000001",
        organization=cast.beta,
        contact=cast.customer_beta.contact,
        contract=cast.contract_beta,
        regulation=cast.regulation_002,
        level=cast.contract_beta.level,
        product=cast.product_ngfw,
        license_key=cast.license_key_beta,
        channel="portal",
        priority=cast.regulation_002.priorities.get(code="p2"),
        subject="VPN не поднимается",
        description="После обновления до 7.2 туннель не устанавливается.",
        registered_at=now,
        registered_by=cast.customer_beta,
    )
    event = TicketEvent.objects.create(
        ticket=ticket, created_at=now, actor=cast.customer_beta, kind="registered"
    )
    message = OutboxMessage.objects.create(
        template="ticket_registered",
        recipients=["olga@beta.example"],
        language="en",
        subject="Request SD-2026-000001 registered",
        body_text="...",
        ticket=ticket,
    )
    DeliveryAttempt.objects.create(
        message=message, started_at=now, finished_at=now, success=False, error="timeout"
    )
    refusal = RefusedRegistration.objects.create(
        reason="contract_expired",
        message="Contract SYM-900900 expired on 2025-12-31.",
        channel="phone",
        organization=cast.gamma,
        contract=cast.contract_gamma_expired,
        is_sales_lead=True,
    )
    client.force_login(cast.administrator)

    pages = {
        "tickets_ticket": ticket,
        "tickets_ticketevent": event,
        "outbox_outboxmessage": message,
        "tickets_refusedregistration": refusal,
    }
    for name, obj in pages.items():
        listing = client.get(reverse(f"admin:{name}_changelist"))
        detail = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
        assert listing.status_code == 200, name
        assert detail.status_code == 200, name
        assert 'name="_save"' not in detail.content.decode(), name
    assert (
        "SD-2026-000001" in client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    )
    assert (
        "timeout"
        in client.get(
            reverse("admin:outbox_outboxmessage_change", args=[message.pk])
        ).content.decode()
    )
    delete = client.post(
        reverse("admin:tickets_ticketevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_admin_adds_a_user_with_an_email(client, cast: DemoCast):
    from supportdesk.accounts.models import User

    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@alpha.example",
            "language": "en",
            "timezone": "Europe/Moscow",
            "usable_password": "true",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@alpha.example")
    assert (user.language, user.check_password("a-long-password-42")) == ("en", True)
