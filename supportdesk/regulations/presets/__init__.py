"""The two seed regulations as data, and the loader that writes them into the database.

``load_preset("000")`` / ``load_preset("002")`` create or update the regulation with everything it
needs (calendars, teams, product lines, products and versions) by natural keys, in one transaction:
running it again changes nothing and duplicates nothing. Rows an administrator added are kept;
rows the seed defines are reset to the seed's values. See docs/regulations.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

from django.db import models, transaction

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
from supportdesk.regulations.presets import seed_000, seed_002
from supportdesk.regulations.rules import bump_rules

SEEDS: dict[str, ModuleType] = {"000": seed_000, "002": seed_002}

WEEKDAYS = range(0, 5)
EVERY_DAY = range(0, 7)

# name, timezone, holiday country, weekdays, start, end.
CALENDARS = [
    ("MSK 08-20", "Europe/Moscow", "RU", WEEKDAYS, "08:00", "20:00"),
    ("MSK 24x7", "Europe/Moscow", "", EVERY_DAY, "00:00", "24:00"),
    # Seed 002 gives no working hours: 09:00-18:00 is an example.
    ("MSK 09-18", "Europe/Moscow", "RU", WEEKDAYS, "09:00", "18:00"),
    ("London 24x7", "Europe/London", "", EVERY_DAY, "00:00", "24:00"),
]

# name, language, calendar.
TEAMS = [
    ("Russian support", "ru", "MSK 08-20"),
    ("English dispatch", "en", "London 24x7"),
    ("UserGate support", "ru", "MSK 09-18"),
]


def _concrete_field(meta: Any, name: str) -> models.Field:
    """A field with a column of its own (not a reverse relation or a generic foreign key)."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{meta.label}.{name} has no column of its own")
    return field


def sync_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: tuple[str, ...],
    scope: Mapping[str, Any] | None = None,
    create_defaults: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
) -> list[Any]:
    """Create or update ``rows`` of ``model`` by the natural ``key``; return them in row order.

    One query reads the existing rows (those matching ``scope``, else those whose first key field
    is among the rows'), then one bulk insert and one bulk update write the differences, so a
    second run with the same rows writes nothing. ``create_defaults(row)`` gives fields set only
    when a row is created (e.g. a password). Model ``save()`` is not called.
    """
    meta = model._meta
    normalized = []
    for row in rows:
        values = {}
        for name, value in row.items():
            attname = _concrete_field(meta, name).attname
            values[attname] = value.pk if isinstance(value, models.Model) else value
        normalized.append((row, values))
    key_attnames = tuple(_concrete_field(meta, name).attname for name in key)

    if scope is not None:
        queryset = model._default_manager.filter(**scope)
    else:
        first = key_attnames[0]
        queryset = model._default_manager.filter(
            **{f"{first}__in": {values[first] for _, values in normalized}}
        )
    existing = {tuple(getattr(obj, a) for a in key_attnames): obj for obj in queryset}

    result: list[Any] = []
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    changed: set[str] = set()
    for row, values in normalized:
        obj = existing.get(tuple(values[a] for a in key_attnames))
        if obj is None:
            extra = create_defaults(row) if create_defaults else {}
            obj = model(**values, **extra)
            to_create.append(obj)
        else:
            diff = [a for a, value in values.items() if getattr(obj, a) != value]
            for attname in diff:
                setattr(obj, attname, values[attname])
            if diff:
                to_update.append(obj)
                changed.update(diff)
        result.append(obj)
    if to_create:
        model._default_manager.bulk_create(to_create)
    if to_update:
        model._default_manager.bulk_update(to_update, sorted(changed))
    return result


def sync_m2m(
    model: type[models.Model], field_name: str, wanted: Mapping[int, Iterable[int]]
) -> None:
    """Make ``obj.<field_name>`` hold exactly ``wanted[obj.pk]`` for every key of ``wanted``."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.ManyToManyField):
        raise TypeError(f"{model._meta.label}.{field_name} is not a many-to-many field")
    through = field.remote_field.through
    assert through is not None  # Django fills in the through model once the apps are loaded
    source = field.m2m_column_name()
    target = field.m2m_reverse_name()
    existing = set(
        through._default_manager.filter(**{f"{source}__in": list(wanted)}).values_list(
            source, target
        )
    )
    desired = {(obj_id, other) for obj_id, others in wanted.items() for other in others}
    missing = desired - existing
    if missing:
        through._default_manager.bulk_create(
            [through(**{source: s, target: t}) for s, t in missing]
        )
    for obj_id, other in existing - desired:
        through._default_manager.filter(**{source: obj_id, target: other}).delete()


def load_shared() -> tuple[dict[str, BusinessCalendar], dict[str, Team]]:
    """The calendars and teams both seeds use."""
    calendars = sync_rows(
        BusinessCalendar,
        [
            {
                "name": name,
                "timezone": tz,
                "holiday_country": country,
                "transferred_day_start": start,
                "transferred_day_end": end,
            }
            for name, tz, country, _days, start, end in CALENDARS
        ],
        key=("name",),
    )
    by_name = {calendar.name: calendar for calendar in calendars}
    sync_rows(
        WorkingHours,
        [
            {"calendar": by_name[name], "weekday": day, "start": start, "end": end}
            for name, _tz, _country, days, start, end in CALENDARS
            for day in days
        ],
        key=("calendar", "weekday", "start"),
        scope={"calendar__in": calendars},
    )
    teams = sync_rows(
        Team,
        [
            {"name": name, "language": language, "calendar": by_name[calendar]}
            for name, language, calendar in TEAMS
        ],
        key=("name",),
    )
    return by_name, {team.name: team for team in teams}


def _load_catalog(seed: ModuleType) -> tuple[dict[str, ProductLine], dict[str, Product]]:
    lines = {line.code: line for line in sync_rows(ProductLine, seed.PRODUCT_LINES, key=("code",))}
    products = sync_rows(
        Product,
        [{"code": p["code"], "line": lines[p["line"]], "name": p["name"]} for p in seed.PRODUCTS],
        key=("code",),
    )
    by_code = {product.code: product for product in products}
    sync_rows(
        ProductVersion,
        [
            {"product": by_code[p["code"]], "name": version}
            for p in seed.PRODUCTS
            for version in p["versions"]
        ],
        key=("product", "name"),
        scope={"product__in": products},
    )
    return lines, by_code


def _load_regulation(
    seed: ModuleType, calendars: dict[str, BusinessCalendar], teams: dict[str, Team]
) -> Regulation:
    lines, products = _load_catalog(seed)
    data = dict(seed.REGULATION)
    data["calendar"] = calendars[data["calendar"]]
    (regulation,) = sync_rows(Regulation, [data], key=("code",))
    sync_m2m(Regulation, "product_lines", {regulation.pk: [line.pk for line in lines.values()]})
    own = {"regulation": regulation}
    scope = {"regulation": regulation}

    levels = {
        level.code: level
        for level in sync_rows(
            SupportLevel,
            [{**own, **level} for level in seed.LEVELS],
            key=("regulation", "code"),
            scope=scope,
        )
    }
    priorities = {
        priority.code: priority
        for priority in sync_rows(
            Priority,
            [{**own, **priority} for priority in seed.PRIORITIES],
            key=("regulation", "code"),
            scope=scope,
        )
    }

    def line_of(code: str | None) -> ProductLine | None:
        return lines[code] if code else None

    channels = sync_rows(
        ChannelRule,
        [
            {
                **own,
                "channel": rule["channel"],
                "product_line": line_of(rule["product_line"]),
                "address": rule["address"],
            }
            for rule in seed.CHANNELS
        ],
        key=("regulation", "channel", "product_line"),
        scope=scope,
    )
    sync_m2m(
        ChannelRule,
        "levels",
        {
            rule.pk: [levels[code].pk for code in spec["levels"]]
            for rule, spec in zip(channels, seed.CHANNELS, strict=True)
        },
    )

    hotlines = sync_rows(
        HotlineNumber,
        [
            {
                **own,
                "country": hotline["country"],
                "number": hotline["number"],
                "instructions": hotline["instructions"],
                "instructions_en": hotline["instructions_en"],
                "product_line": line_of(hotline["product_line"]),
                "order": order,
            }
            for order, hotline in enumerate(seed.HOTLINES, start=1)
        ],
        key=("regulation", "number"),
        scope=scope,
    )
    sync_m2m(
        HotlineNumber,
        "levels",
        {
            hotline.pk: [levels[code].pk for code in spec["levels"]]
            for hotline, spec in zip(hotlines, seed.HOTLINES, strict=True)
        },
    )

    sync_rows(
        RequiredField,
        [{**own, "field": name, "any_of_group": group} for name, group in seed.REQUIRED_FIELDS],
        key=("regulation", "field"),
        scope=scope,
    )
    sync_rows(
        DiagnosticsItem,
        [
            {
                **own,
                "product": products[item["product"]] if item.get("product") else None,
                "text": item["text"],
                "text_en": item["text_en"],
                "order": order,
            }
            for order, item in enumerate(seed.DIAGNOSTICS, start=1)
        ],
        key=("regulation", "order"),
        scope=scope,
    )
    sync_rows(
        SlaTarget,
        [
            {
                **own,
                "level": levels[level],
                "priority": priorities[priority],
                "reaction_minutes": reaction,
                "reaction_calendar": calendars[reaction_calendar],
                "resolution_minutes": resolution,
                "resolution_calendar": calendars[resolution_calendar],
                "is_example": True,
            }
            for level, priority, reaction, reaction_calendar, resolution, resolution_calendar in (
                seed.SLA
            )
        ],
        key=("level", "priority"),
        scope=scope,
    )
    methods = sync_rows(
        WorkMethod,
        [
            {**own, "code": m["code"], "name": m["name"], "name_en": m["name_en"]}
            for m in seed.WORK_METHODS
        ],
        key=("regulation", "code"),
        scope=scope,
    )
    sync_m2m(
        WorkMethod,
        "levels",
        {
            method.pk: [levels[code].pk for code in spec["levels"]]
            for method, spec in zip(methods, seed.WORK_METHODS, strict=True)
        },
    )
    sync_rows(
        EscalationContact,
        [{**own, **contact} for contact in seed.ESCALATION_CONTACTS],
        key=("regulation", "escalation_level", "email"),
        scope=scope,
    )
    sync_rows(
        LanguageRoute,
        [
            {
                **own,
                "language": route["language"],
                "team": teams[route["team"]],
                "outside_hours": route["outside_hours"],
                "fallback_team": teams[route["fallback_team"]] if route["fallback_team"] else None,
            }
            for route in seed.LANGUAGE_ROUTES
        ],
        key=("regulation", "language"),
        scope=scope,
    )
    return regulation


def load_preset(code: str) -> Regulation:
    """Create or update seed regulation ``code`` ("000" or "002") and everything it needs."""
    if code not in SEEDS:
        raise KeyError(code)
    with transaction.atomic():
        calendars, teams = load_shared()
        regulation = _load_regulation(SEEDS[code], calendars, teams)
        # Bulk writes send no signals: bump every regulation, the calendars are shared.
        regulation.rules_version = bump_rules()
        return regulation


def load_presets(codes: Iterable[str] = tuple(SEEDS)) -> dict[str, Regulation]:
    """Load several seeds in one transaction; the shared calendars and teams are written once."""
    codes = list(codes)
    for code in codes:
        if code not in SEEDS:
            raise KeyError(code)
    with transaction.atomic():
        calendars, teams = load_shared()
        regulations = {code: _load_regulation(SEEDS[code], calendars, teams) for code in codes}
        version = bump_rules()
        for regulation in regulations.values():
            regulation.rules_version = version
        return regulations
