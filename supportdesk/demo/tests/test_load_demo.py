"""``supportdesk load_demo``: the load step of ``./dev run``, run on every start."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

from supportdesk.accounts.models import User
from supportdesk.demo.tests.test_cast import LOGINS
from supportdesk.regulations.models import Regulation, SlaTarget
from supportdesk.regulations.presets import load_presets

# Each test starts from the database as the migrations left it (the cast is loaded per session).
pytestmark = pytest.mark.usefixtures("empty_db")

NOT_LOADED = "The database already has regulations or users: the demo was not loaded"


def load_step(*args: str) -> str:
    """What ./dev run calls, in English, returning what it printed."""
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def essential_p2() -> SlaTarget:
    return SlaTarget.objects.get(
        regulation__code="000", level__code="essential", priority__code="p2"
    )


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused load wrote nothing."""
    return {
        model._meta.label: sorted(model._default_manager.values_list(), key=repr)
        for model in apps.get_models(include_auto_created=True)
    }


def test_an_empty_database_gets_the_demo_and_the_logins():
    text = load_step()

    assert NOT_LOADED not in text
    for email in LOGINS.values():
        assert text.count(email) == 1
    assert "Demo loaded: regulations 000, 002." in text
    assert text.count("Demo request SD-") == 5
    assert User.objects.count() == 11
    assert sorted(Regulation.objects.values_list("code", flat=True)) == ["000", "002"]


def test_a_second_run_keeps_an_sla_edit_and_the_users_languages():
    load_step()
    target = essential_p2()
    assert target.reaction_minutes == 240
    target.reaction_minutes = 180
    target.save(update_fields=["reaction_minutes"])
    User.objects.filter(email="ivan@alpha.example").update(language="en")
    User.objects.filter(email="olga@beta.example").update(language="ru")
    before = every_row()

    text = load_step()

    assert text.startswith(NOT_LOADED)
    assert "./dev run --reset" in text
    assert "ivan@alpha.example" not in text
    assert essential_p2().reaction_minutes == 180
    assert dict(User.objects.values_list("email", "language"))["ivan@alpha.example"] == "en"
    assert dict(User.objects.values_list("email", "language"))["olga@beta.example"] == "ru"
    assert every_row() == before


def test_force_loads_the_demo_over_the_data():
    load_step("--no-tickets")
    target = essential_p2()
    target.reaction_minutes = 180
    target.save(update_fields=["reaction_minutes"])

    text = load_step("--force", "--no-tickets")

    assert NOT_LOADED not in text
    assert "Demo loaded: regulations 000, 002." in text
    assert essential_p2().reaction_minutes == 240
    assert User.objects.count() == 11


def test_a_superuser_alone_makes_the_database_not_empty():
    User.objects.create_superuser(email="root@example.com", password="secret-password")
    before = every_row()

    text = load_step()

    assert text.startswith(NOT_LOADED)
    assert every_row() == before
    assert not Regulation.objects.exists()


def test_a_regulation_alone_makes_the_database_not_empty():
    load_presets(["002"])
    before = every_row()

    text = load_step()

    assert text.startswith(NOT_LOADED)
    assert every_row() == before
    assert not User.objects.exists()
