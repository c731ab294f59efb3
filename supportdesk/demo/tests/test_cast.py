from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate

from supportdesk.accounts.models import Agent, Contact, User
from supportdesk.contracts.entitlements import channel_allowed, hotlines_for
from supportdesk.demo.cast import DemoCast, load_demo

pytestmark = pytest.mark.django_db

# What a second load_demo() reads to find the cast complete (57 today).
QUERIES_OF_A_RELOAD = 60

LOGINS = {
    "customer_alpha": "ivan@alpha.example",
    "orgadmin_alpha": "anna@alpha.example",
    "colleague_alpha": "petr@alpha.example",
    "customer_beta": "olga@beta.example",
    "customer_gamma": "aset@gamma.example",
    "engineer": "engineer@support.example",
    "engineer_en": "john@support.example",
    "dispatcher": "dispatcher@support.example",
    "manager": "manager@support.example",
    "administrator": "admin@support.example",
    "account_manager": "sales@support.example",
}


def all_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in {"accounts", "catalog", "regulations", "contracts", "account"}
    }


def test_load_demo_twice_is_idempotent():
    first_cast = load_demo()
    first = all_counts()
    passwords = dict(User.objects.values_list("email", "password"))

    second_cast = load_demo()

    assert all_counts() == first
    assert dict(User.objects.values_list("email", "password")) == passwords
    assert second_cast.contract_alpha.pk == first_cast.contract_alpha.pk
    assert second_cast.customer_alpha.pk == first_cast.customer_alpha.pk
    assert first["accounts.User"] == 11
    assert first["account.EmailAddress"] == 11
    assert first["contracts.Contract"] == 4


def test_load_demo_over_a_loaded_cast_only_reads(django_assert_max_num_queries):
    """Loading the cast again finds every row and writes nothing: a bounded number of reads
    (counts, not times, so that a busy machine cannot fail it)."""
    load_demo()
    with django_assert_max_num_queries(QUERIES_OF_A_RELOAD) as captured:
        load_demo()
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_cast_logins_authenticate(cast: DemoCast):
    for attribute, email in LOGINS.items():
        user = getattr(cast, attribute)
        assert user.email == email
        assert authenticate(email=email, password="demo") == user
        assert authenticate(email=email, password="wrong") is None
        assert list(
            EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")
        ) == [(email, True, True)]


def test_cast_people(cast: DemoCast):
    assert (cast.alpha.name, cast.alpha.country) == ("ООО «Альфа-Системы»", "RU")
    assert (cast.beta.name, cast.beta.country) == ("АО «Бета-Телеком»", "RU")
    assert (cast.gamma.name, cast.gamma.country) == ("ТОО «Гамма»", "KZ")
    for organization in [cast.alpha, cast.beta, cast.gamma]:
        assert organization.account_manager == cast.account_manager

    ivan = Contact.objects.get(user=cast.customer_alpha)
    assert (ivan.organization, ivan.support_contact_id, ivan.is_org_admin) == (
        cast.alpha,
        "SC-1001",
        False,
    )
    assert list(ivan.phones.values_list("number", "normalized")) == [
        ("+7 495 111-22-33", "74951112233")
    ]
    assert cast.customer_alpha.get_full_name() == "Иван Смирнов"
    anna = Contact.objects.get(user=cast.orgadmin_alpha)
    assert (anna.support_contact_id, anna.is_org_admin) == ("SC-1002", True)
    petr = Contact.objects.get(user=cast.colleague_alpha)
    assert (petr.organization, petr.support_contact_id, petr.is_org_admin) == (
        cast.alpha,
        "SC-1003",
        False,
    )
    olga = Contact.objects.get(user=cast.customer_beta)
    assert (olga.organization, cast.customer_beta.language) == (cast.beta, "en")
    assert list(olga.phones.values_list("number", flat=True)) == ["+7 812 222-33-44"]
    assert Contact.objects.get(user=cast.customer_gamma).organization == cast.gamma

    roles = dict(Agent.objects.values_list("user__email", "role"))
    assert roles == {
        "engineer@support.example": "engineer",
        "john@support.example": "engineer",
        "dispatcher@support.example": "dispatcher",
        "manager@support.example": "manager",
        "admin@support.example": "administrator",
    }
    assert sorted(cast.engineer.agent.teams.values_list("name", flat=True)) == [
        "Russian support",
        "UserGate support",
    ]
    assert list(cast.engineer_en.agent.teams.values_list("name", flat=True)) == ["English dispatch"]
    assert (cast.administrator.is_staff, cast.administrator.is_superuser) == (True, True)
    assert (cast.account_manager.is_staff, cast.account_manager.is_superuser) == (True, False)
    assert not Agent.objects.filter(user=cast.account_manager).exists()
    assert not Contact.objects.filter(user__in=[cast.engineer, cast.administrator]).exists()


def test_cast_contracts(cast: DemoCast):
    alpha = cast.contract_alpha
    assert (alpha.support_id, alpha.organization, alpha.regulation, alpha.level.code) == (
        "SYM-100200",
        cast.alpha,
        cast.regulation_000,
        "essential",
    )
    assert (alpha.valid_from, alpha.valid_to) == (
        datetime.date(2025, 1, 1),
        datetime.date(2028, 12, 31),
    )
    assert set(alpha.products.all()) == {cast.product_sep, cast.product_smg, cast.product_netbackup}

    beta = cast.contract_beta
    assert (beta.support_id, beta.regulation, beta.level.code) == (
        "UG-2025-0042",
        cast.regulation_002,
        "premium",
    )
    assert set(beta.products.all()) == {cast.product_ngfw, cast.product_ug_client}
    assert (cast.license_key_beta.key, cast.license_key_beta.contract) == (
        "UGNGFW-7A1C-92F0-4D1B",
        beta,
    )
    assert cast.license_key_beta.product == cast.product_ngfw

    standard = cast.contract_beta_standard
    assert (standard.support_id, standard.organization, standard.level.code) == (
        "UG-2025-0077",
        cast.beta,
        "standard",
    )
    assert cast.license_key_beta_standard.key == "UGNGFW-STD0-0000-0077"
    assert (
        channel_allowed(level=standard.level, channel="phone", product=cast.product_ngfw) is False
    )
    assert channel_allowed(level=beta.level, channel="phone", product=cast.product_ngfw) is True
    assert list(hotlines_for(level=standard.level)) == []
    assert hotlines_for(level=beta.level).count() == 1

    expired = cast.contract_gamma_expired
    assert (expired.support_id, expired.organization, expired.level.code) == (
        "SYM-900900",
        cast.gamma,
        "basic",
    )
    assert list(expired.products.all()) == [cast.product_sep]
    assert expired.is_active_on(datetime.date(2026, 11, 22)) is False
    assert expired.is_active_on(datetime.date(2025, 12, 31)) is True
    assert alpha.is_active_on(datetime.date(2026, 11, 22)) is True

    assert cast.product_norton.line.is_consumer is True
    assert (cast.product_netbackup.line.code, cast.product_ug_client.code) == (
        "veritas",
        "usergate-client",
    )
