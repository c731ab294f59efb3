from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from supportdesk.accounts.models import Team
from supportdesk.catalog.models import Product, ProductLine, ProductVersion
from supportdesk.regulations.models import (
    BusinessCalendar,
    ChannelRule,
    DiagnosticsItem,
    EscalationContact,
    HotlineNumber,
    LanguageRoute,
    Priority,
    Regulation,
    RequiredField,
    SlaTarget,
    SupportLevel,
    WorkingHours,
    WorkMethod,
)
from supportdesk.regulations.presets import load_preset

pytestmark = pytest.mark.usefixtures("empty_db")

COUNTED: list[type[models.Model]] = [
    BusinessCalendar,
    WorkingHours,
    Team,
    ProductLine,
    Product,
    ProductVersion,
    Regulation,
    SupportLevel,
    ChannelRule,
    ChannelRule.levels.through,
    HotlineNumber,
    HotlineNumber.levels.through,
    RequiredField,
    DiagnosticsItem,
    Priority,
    SlaTarget,
    WorkMethod,
    WorkMethod.levels.through,
    EscalationContact,
    LanguageRoute,
    Regulation.product_lines.through,
]


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in COUNTED}


def channels(regulation: Regulation) -> list[tuple[str, list[str], str | None]]:
    return sorted(
        (
            rule.channel,
            sorted(level.code for level in rule.levels.all()),
            rule.product_line.code if rule.product_line else None,
        )
        for rule in regulation.channels.all()
    )


def test_shared_calendars_and_teams():
    load_preset("000")

    spec = BusinessCalendar.objects.get(name="MSK 08-20").to_spec()
    assert spec["timezone"] == "Europe/Moscow"
    assert spec["weekly"] == {
        day: [["08:00", "20:00"]] for day in ["mon", "tue", "wed", "thu", "fri"]
    }
    assert spec["holidays"] == {"country": "RU", "subdivision": None}
    assert spec["transferred_working_day_hours"] == [["08:00", "20:00"]]
    always = BusinessCalendar.objects.get(name="MSK 24x7").to_spec()
    assert always["weekly"] == {
        day: [["00:00", "24:00"]] for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    }
    assert always["holidays"] is None
    business = BusinessCalendar.objects.get(name="MSK 09-18")
    assert business.to_spec()["transferred_working_day_hours"] == [["09:00", "18:00"]]
    assert business.holiday_country == "RU"
    london = BusinessCalendar.objects.get(name="London 24x7")
    assert (london.timezone, london.holiday_country, london.hours.count()) == (
        "Europe/London",
        "",
        7,
    )
    assert sorted(Team.objects.values_list("name", "language", "calendar__name")) == [
        ("English dispatch", "en", "London 24x7"),
        ("Russian support", "ru", "MSK 08-20"),
        ("UserGate support", "ru", "MSK 09-18"),
    ]


def test_seed_000():
    regulation = load_preset("000")

    assert regulation.code == "000"
    assert regulation.name == (
        "Техническая поддержка корпоративных продуктов Symantec (русскоязычная)"
    )
    assert regulation.name_en == "Symantec enterprise support (Russian-language)"
    assert regulation.language == "ru"
    assert regulation.calendar.name == "MSK 08-20"
    assert (regulation.silence_days, regulation.silence_day_count) == (5, "calendar")
    assert (regulation.confirmation_working_days, regulation.confirmation_action) == (5, "remind")
    assert regulation.warning_percent == 80
    assert regulation.primary_diagnostics_required is False
    assert sorted(regulation.product_lines.values_list("code", "is_consumer")) == [
        ("norton", True),
        ("symantec-enterprise", False),
        ("veritas", False),
    ]
    assert list(
        ProductVersion.objects.filter(product__code="veritas-netbackup")
        .order_by("name")
        .values_list("name", flat=True)
    ) == ["10.3", "10.4"]
    assert list(regulation.levels.values_list("code", "name", "rank")) == [
        ("basic", "Basic", 1),
        ("essential", "Essential", 2),
        ("bcs", "BCS", 3),
    ]
    assert channels(regulation) == [
        ("api", [], None),
        ("email", [], "veritas"),
        ("phone", [], None),
        ("portal", [], None),
    ]
    assert regulation.channels.get(channel="email").address == "veritas-support@support.example"
    assert list(
        regulation.hotlines.order_by("order").values_list("country", "number", "product_line")
    ) == [
        ("RU", "8 800 7009983", None),
        ("RU", "+7 495 6412291", None),
        ("UA", "0 0011 800 9728616", None),
        ("KZ", "8 800 1214321", None),
        ("RU", "8 10 800 21221044", ProductLine.objects.get(code="norton").pk),
        ("RU", "+7 499 272 2059", ProductLine.objects.get(code="norton").pk),
    ]
    assert "800 972 8616" in regulation.hotlines.get(country="KZ").instructions
    assert HotlineNumber.levels.through.objects.count() == 0
    assert sorted(regulation.required_fields.values_list("field", "any_of_group")) == [
        ("description", ""),
        ("os_version", ""),
        ("product", ""),
        ("service_pack", ""),
        ("support_contact_id", "identification"),
        ("support_id", "identification"),
        ("version", ""),
    ]
    assert regulation.diagnostics_items.count() == 0
    assert list(regulation.priorities.values_list("code", "name", "name_en", "rank")) == [
        ("p1", "Критический", "Critical", 1),
        ("p2", "Высокий", "High", 2),
        ("p3", "Средний", "Medium", 3),
        ("p4", "Низкий", "Low", 4),
    ]
    assert sorted(regulation.work_methods.values_list("code", flat=True)) == [
        "email",
        "phone",
        "portal",
    ]
    assert list(
        regulation.escalation_contacts.values_list("escalation_level", "email", "language")
    ) == [(1, "escalation@support.example", "ru"), (2, "head-of-support@support.example", "en")]
    assert sorted(
        regulation.language_routes.values_list("language", "team__name", "outside_hours")
    ) == [("en", "English dispatch", "callback"), ("ru", "Russian support", "callback_or_other")]
    fallback = regulation.language_routes.get(language="ru").fallback_team
    assert fallback is not None and fallback.name == "English dispatch"


def test_seed_000_sla_matrix():
    regulation = load_preset("000")

    cells = regulation.sla_targets.select_related(
        "level", "priority", "reaction_calendar", "resolution_calendar"
    )
    assert cells.count() == 12
    assert all(cell.is_example for cell in cells)
    bcs_p1 = cells.get(level__code="bcs", priority__code="p1")
    assert (
        bcs_p1.reaction_minutes,
        bcs_p1.reaction_calendar.name,
        bcs_p1.resolution_minutes,
        bcs_p1.resolution_calendar.name,
    ) == (30, "MSK 24x7", 240, "MSK 24x7")
    assert cells.get(level__code="essential", priority__code="p1").reaction_minutes == 60
    assert cells.get(level__code="basic", priority__code="p4").reaction_minutes == 1440
    assert {cell.reaction_calendar.name for cell in cells if cell.pk != bcs_p1.pk} == {"MSK 08-20"}
    # A better level never has a longer target than a worse one for the same priority.
    for priority in ["p1", "p2", "p3", "p4"]:
        row = [cells.get(level__code=level, priority__code=priority) for level in
               ["basic", "essential", "bcs"]]  # fmt: skip
        assert [c.reaction_minutes for c in row] == sorted(
            (c.reaction_minutes for c in row), reverse=True
        )
        assert [c.resolution_minutes for c in row] == sorted(
            (c.resolution_minutes for c in row), reverse=True
        )


def test_seed_002():
    regulation = load_preset("002")

    assert regulation.name == "Регламент технической поддержки UserGate"
    assert regulation.name_en == "UserGate support regulation"
    assert regulation.calendar.name == "MSK 09-18"
    assert (regulation.silence_days, regulation.silence_day_count) == (10, "working")
    assert (regulation.confirmation_working_days, regulation.confirmation_action) == (1, "remind")
    assert regulation.primary_diagnostics_required is True
    assert list(regulation.product_lines.values_list("code", flat=True)) == ["usergate"]
    assert sorted(Product.objects.values_list("code", flat=True)) == [
        "usergate-client",
        "usergate-ngfw",
    ]
    assert list(regulation.levels.values_list("code", "name", "name_en", "rank")) == [
        ("standard", "Стандартная", "Standard", 1),
        ("extended", "Расширенная", "Extended", 2),
        ("premium", "Премиум", "Premium", 3),
    ]
    assert channels(regulation) == [
        ("api", [], None),
        ("phone", ["extended", "premium"], None),
        ("portal", [], None),
    ]
    assert regulation.channels.get(channel="portal").address == "https://support.usergate.com/ru"
    hotline = regulation.hotlines.get()
    assert (hotline.country, hotline.number) == (
        "RU",
        "предоставляется индивидуально / given individually",
    )
    assert sorted(hotline.levels.values_list("code", flat=True)) == ["extended", "premium"]
    assert sorted(regulation.required_fields.values_list("field", "any_of_group")) == [
        ("description", ""),
        ("license_key", ""),
        ("priority", ""),
        ("product", ""),
        ("version", ""),
    ]
    assert regulation.diagnostics_items.count() == 5
    assert all(item.text and item.text_en for item in regulation.diagnostics_items.all())
    assert list(regulation.priorities.values_list("code", "rank")) == [
        ("p1", 1),
        ("p2", 2),
        ("p3", 3),
        ("p4", 4),
    ]
    methods = {m.code: m for m in regulation.work_methods.all()}
    assert sorted(methods) == ["phone", "portal", "remote"]
    assert (methods["phone"].name, methods["phone"].name_en) == (
        "Консультация по телефону по срочным вопросам",
        "Phone consultation on urgent matters",
    )
    assert list(methods["phone"].levels.values_list("code", flat=True)) == ["premium"]
    assert methods["portal"].levels.count() == 0
    assert list(regulation.escalation_contacts.values_list("email", flat=True)) == [
        "senior@usergate-support.example"
    ]
    assert list(regulation.language_routes.values_list("language", "team__name")) == [
        ("ru", "UserGate support")
    ]

    cells = regulation.sla_targets.select_related("reaction_calendar")
    assert cells.count() == 12
    assert all(cell.is_example for cell in cells)
    premium_p1 = cells.get(level__code="premium", priority__code="p1")
    assert (premium_p1.reaction_minutes, premium_p1.reaction_calendar.name) == (30, "MSK 24x7")


def test_loading_twice_changes_nothing():
    load_preset("000")
    load_preset("002")
    first = counts()
    sla_before = list(SlaTarget.objects.order_by("pk").values())

    load_preset("002")
    load_preset("000")

    assert counts() == first
    assert first["Regulation"] == 2
    assert first["SlaTarget"] == 24
    assert first["BusinessCalendar"] == 4
    assert list(SlaTarget.objects.order_by("pk").values()) == sla_before


def test_reload_restores_seeded_values_and_keeps_added_rows():
    regulation = load_preset("002")
    cell = regulation.sla_targets.get(level__code="premium", priority__code="p1")
    SlaTarget.objects.filter(pk=cell.pk).update(reaction_minutes=999)
    ChannelRule.objects.filter(channel="phone").get().levels.clear()
    added = WorkMethod.objects.create(regulation=regulation, code="onsite", name="Выезд")

    load_preset("002")

    cell.refresh_from_db()
    assert cell.reaction_minutes == 30
    assert sorted(
        ChannelRule.objects.get(channel="phone").levels.values_list("code", flat=True)
    ) == ["extended", "premium"]
    assert WorkMethod.objects.filter(pk=added.pk).exists()


def test_unknown_code():
    with pytest.raises(KeyError):
        load_preset("999")
    assert Regulation.objects.count() == 0


def test_command_loads_one_regulation():
    out = StringIO()

    call_command("load_regulation", "002", stdout=out)

    assert list(Regulation.objects.values_list("code", flat=True)) == ["002"]
    assert "002" in out.getvalue()
    assert "12" in out.getvalue()


def test_command_all_is_idempotent():
    out = StringIO()

    call_command("load_regulation", "--all", stdout=out)
    first = counts()
    call_command("load_regulation", "--all", stdout=out)

    assert counts() == first
    assert list(Regulation.objects.values_list("code", flat=True)) == ["000", "002"]
    assert out.getvalue().count("000") == 2


def test_command_refuses_unknown_or_missing_code():
    with pytest.raises(CommandError):
        call_command("load_regulation", "999", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("load_regulation", stdout=StringIO())
    assert Regulation.objects.count() == 0
