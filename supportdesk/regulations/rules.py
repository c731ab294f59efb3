"""A regulation's registration rules, compiled once per process and version.

Registration reads the same rows of a regulation for every ticket: its required fields, channel
rules, priorities and language routes. ``compiled_rules(regulation)`` keeps them in a process-wide
cache keyed by the regulation's id and ``rules_version``, a random token that every edit of the
regulation or of anything it uses replaces in the edit's own transaction (``bump_rules``). The
version arrives with the regulation row, which registration reads anyway (with the contract), so
checking the cache costs no query; a stale entry is never used because a new token never equals an
old one. The SLA cells and calendars are cached the same way in ``sla.clock``.

What bumps the version: ``post_save`` / ``post_delete`` of every model below and ``m2m_changed``
of their many-to-many fields (the admin and any ``save()``), and the preset loader, which writes
with bulk operations. Code that writes these tables with ``QuerySet.update()`` or bulk operations
must call ``bump_rules`` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from supportdesk.regulations.models import (
    BusinessCalendar,
    CalendarOverride,
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
    new_rules_version,
)


@dataclass(frozen=True)
class ChannelGrant:
    """One channel rule: the channel, for some levels (none: every level) and product line."""

    channel: str
    level_ids: frozenset[int]
    product_line_id: int | None

    def applies(self, level_id: int, product_line_id: int | None) -> bool:
        if self.level_ids and level_id not in self.level_ids:
            return False
        return self.product_line_id is None or self.product_line_id == product_line_id


@dataclass(frozen=True)
class CompiledRules:
    """What registration needs of one regulation, read once per version."""

    regulation_id: int
    version: str
    # Required fields grouped: each group is satisfied by any one of its fields.
    required_groups: tuple[tuple[str, ...], ...]
    channels: tuple[ChannelGrant, ...]
    # Priorities by code, most urgent first (shared instances: read them, never change them).
    priorities: dict[str, Priority]
    team_ids: dict[str, int]  # language → team of its route

    def allowed_channels(self, *, level_id: int, product_line_id: int | None) -> set[str]:
        return {
            grant.channel for grant in self.channels if grant.applies(level_id, product_line_id)
        }

    def lowest_priority(self) -> Priority | None:
        ranked = list(self.priorities.values())
        return ranked[-1] if ranked else None

    def team_id_for(self, language: str, default_language: str) -> int | None:
        """The team of the route for ``language``, else of the regulation's own language."""
        return self.team_ids.get(language) or self.team_ids.get(default_language)


_CACHE_LIMIT = 512
_compiled: dict[int, CompiledRules] = {}
_lock = threading.Lock()


def compiled_rules(regulation: Regulation) -> CompiledRules:
    """The regulation's compiled rules, for the version on the ``regulation`` row."""
    cached = _compiled.get(regulation.pk)
    if cached is not None and cached.version == regulation.rules_version:
        return cached
    compiled = _compile(regulation)
    with _lock:
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()
        _compiled[regulation.pk] = compiled
    return compiled


def _compile(regulation: Regulation) -> CompiledRules:
    groups: dict[str, list[str]] = {}
    for required in RequiredField.objects.filter(regulation=regulation).order_by("pk"):
        groups.setdefault(required.any_of_group or required.field, []).append(required.field)
    channels = tuple(
        ChannelGrant(
            channel=rule.channel,
            level_ids=frozenset(level.pk for level in rule.levels.all()),
            product_line_id=rule.product_line_id,
        )
        for rule in ChannelRule.objects.filter(regulation=regulation)
        .prefetch_related("levels")
        .order_by("pk")
    )
    priorities = {
        priority.code: priority
        for priority in Priority.objects.filter(regulation=regulation).order_by("rank", "pk")
    }
    routes = LanguageRoute.objects.filter(regulation=regulation).values_list("language", "team_id")
    return CompiledRules(
        regulation_id=regulation.pk,
        version=regulation.rules_version,
        required_groups=tuple(tuple(names) for names in groups.values()),
        channels=channels,
        priorities=priorities,
        team_ids=dict(routes),
    )


def bump_rules(*, regulation_ids: Iterable[int] | None = None) -> str:
    """Give the regulations (all when ``None``) a new rules version; returns it.

    Call inside the transaction of the edit, so the new version and the new rows become
    visible together.
    """
    version = new_rules_version()
    regulations = Regulation.objects.all()
    if regulation_ids is not None:
        regulations = regulations.filter(pk__in=list(regulation_ids))
    regulations.update(rules_version=version)
    return version


# --- What bumps the version -----------------------------------------------------------------

# Rows that belong to one regulation.
REGULATION_PARTS = (
    SupportLevel,
    ChannelRule,
    HotlineNumber,
    RequiredField,
    DiagnosticsItem,
    Priority,
    SlaTarget,
    WorkMethod,
    EscalationContact,
    LanguageRoute,
)
# Calendars may be shared by regulations (and their SLA cells): an edit bumps every regulation.
CALENDAR_PARTS = (BusinessCalendar, WorkingHours, CalendarOverride)
M2M_FIELDS = (
    Regulation.product_lines.through,
    ChannelRule.levels.through,
    HotlineNumber.levels.through,
    WorkMethod.levels.through,
)


def _regulation_changed(sender: Any, instance: Regulation, **kwargs: Any) -> None:
    instance.rules_version = bump_rules(regulation_ids=[instance.pk])


def _part_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump_rules(regulation_ids=[instance.regulation_id])


def _calendar_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump_rules()


def _m2m_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Regulation):
        _regulation_changed(sender, instance)
    elif hasattr(instance, "regulation_id"):
        bump_rules(regulation_ids=[instance.regulation_id])
    else:
        # The reverse side (a level's or a product line's set changed): find nothing, bump all.
        bump_rules()


def connect() -> None:
    """Connect the receivers (``RegulationsConfig.ready``)."""
    post_save.connect(_regulation_changed, sender=Regulation, dispatch_uid="rules:regulation")
    for model in REGULATION_PARTS:
        for signal in (post_save, post_delete):
            signal.connect(_part_changed, sender=model, dispatch_uid=f"rules:{model.__name__}")
    for calendar_model in CALENDAR_PARTS:
        for signal in (post_save, post_delete):
            signal.connect(
                _calendar_changed,
                sender=calendar_model,
                dispatch_uid=f"rules:{calendar_model.__name__}",
            )
    for through in M2M_FIELDS:
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"rules:{through.__name__}")
