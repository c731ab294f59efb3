"""The SLA matrix as a grid: support levels × priorities, targets in hours and minutes.

``MatrixForm`` has four fields per cell (reaction hours and minutes, resolution hours and
minutes). ``changes()`` lists the cells whose targets moved, ``save()`` stores them (a new cell
takes the regulation's calendar); the admin view (sla/admin.py) shows how many open tickets the
change re-times before it saves, and queues the re-timing in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportdesk.regulations.models import Priority, Regulation, SlaTarget, SupportLevel
from supportdesk.sla import retime

TIMERS = ("reaction", "resolution")


@dataclass(frozen=True)
class CellChange:
    level: SupportLevel
    priority: Priority
    old: dict[str, int | None]  # minutes per timer; None for a new cell
    new: dict[str, int]


def _field(prefix: str, unit: str) -> str:
    return f"{prefix}_{unit}"


class MatrixForm(forms.Form):
    """Every cell of a regulation's matrix; blank cells stay absent."""

    def __init__(self, regulation: Regulation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regulation = regulation
        self.levels = list(SupportLevel.objects.filter(regulation=regulation).order_by("rank"))
        self.priorities = list(Priority.objects.filter(regulation=regulation).order_by("rank"))
        self.cells = {
            (cell.level_id, cell.priority_id): cell
            for cell in SlaTarget.objects.filter(regulation=regulation)
        }
        for level in self.levels:
            for priority in self.priorities:
                cell = self.cells.get((level.pk, priority.pk))
                for timer in TIMERS:
                    prefix = self.prefix_of(level, priority, timer)
                    minutes = getattr(cell, f"{timer}_minutes") if cell else None
                    self.fields[_field(prefix, "h")] = forms.IntegerField(
                        label=gettext_lazy("hours"),
                        min_value=0,
                        max_value=100_000,
                        required=False,
                        initial=minutes // 60 if minutes is not None else None,
                    )
                    self.fields[_field(prefix, "m")] = forms.IntegerField(
                        label=gettext_lazy("minutes"),
                        min_value=0,
                        max_value=59,
                        required=False,
                        initial=minutes % 60 if minutes is not None else None,
                    )

    @staticmethod
    def prefix_of(level: SupportLevel, priority: Priority, timer: str) -> str:
        return f"c{level.pk}_{priority.pk}_{timer}"

    def rows(self) -> list[dict[str, Any]]:
        """The grid for the template: per level, per priority, the bound fields of each timer."""
        return [
            {
                "level": level,
                "cells": [
                    {
                        "priority": priority,
                        "cell": self.cells.get((level.pk, priority.pk)),
                        "timers": [
                            {
                                "name": timer,
                                "hours": self[_field(self.prefix_of(level, priority, timer), "h")],
                                "minutes": self[
                                    _field(self.prefix_of(level, priority, timer), "m")
                                ],
                            }
                            for timer in TIMERS
                        ],
                    }
                    for priority in self.priorities
                ],
            }
            for level in self.levels
        ]

    def _minutes(self, level: SupportLevel, priority: Priority, timer: str) -> int | None:
        prefix = self.prefix_of(level, priority, timer)
        hours = self.cleaned_data.get(_field(prefix, "h"))
        minutes = self.cleaned_data.get(_field(prefix, "m"))
        if hours is None and minutes is None:
            return None
        return (hours or 0) * 60 + (minutes or 0)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        for level in self.levels:
            for priority in self.priorities:
                values = [self._minutes(level, priority, timer) for timer in TIMERS]
                exists = (level.pk, priority.pk) in self.cells
                if (exists and None in values) or (not exists and values.count(None) == 1):
                    self.add_error(
                        None,
                        _("%(level)s × %(priority)s: give both the reaction and the resolution.")
                        % {"level": level, "priority": priority},
                    )
                elif 0 in values:
                    self.add_error(
                        None,
                        _("%(level)s × %(priority)s: a target must be longer than zero.")
                        % {"level": level, "priority": priority},
                    )
        return cleaned

    def changes(self) -> list[CellChange]:
        """The cells whose targets moved (or that are new), in grid order."""
        found = []
        for level in self.levels:
            for priority in self.priorities:
                new: dict[str, int] = {}
                for timer in TIMERS:
                    minutes = self._minutes(level, priority, timer)
                    if minutes is not None:
                        new[timer] = minutes
                if len(new) < len(TIMERS):
                    continue
                cell = self.cells.get((level.pk, priority.pk))
                old = {
                    timer: getattr(cell, f"{timer}_minutes") if cell else None for timer in TIMERS
                }
                if old != new:
                    found.append(CellChange(level, priority, old, new))
        return found

    def scope(self) -> dict[str, Any]:
        """The re-timing scope of the change: its cells and their old and new minutes."""
        changes = self.changes()
        targets = {
            retime.cell_key(c.level.pk, c.priority.pk): {
                timer: [c.old[timer], c.new[timer]]
                for timer in TIMERS
                if c.old[timer] is not None and c.old[timer] != c.new[timer]
            }
            for c in changes
        }
        return {
            "cells": [[c.level.pk, c.priority.pk] for c in changes],
            "targets": {key: moved for key, moved in targets.items() if moved},
        }

    def signature(self) -> str:
        """Identifies the change previewed, so a confirmation saves exactly what was counted."""
        return hashlib.sha256(json.dumps(self.scope(), sort_keys=True).encode()).hexdigest()[:16]

    def save(self, *, actor: Any, now: Any = None) -> int:
        """Store the changed cells and queue the re-timing; returns the open tickets affected."""
        scope = self.scope()
        with transaction.atomic():
            for change in self.changes():
                cell = self.cells.get((change.level.pk, change.priority.pk))
                if cell is None:
                    cell = SlaTarget(
                        regulation=self.regulation,
                        level=change.level,
                        priority=change.priority,
                        reaction_calendar_id=self.regulation.calendar_id,
                        resolution_calendar_id=self.regulation.calendar_id,
                    )
                cell.reaction_minutes = change.new["reaction"]
                cell.resolution_minutes = change.new["resolution"]
                cell.is_example = False  # the administrator gave the real figure
                cell.save()
            affected = retime.count_affected(scope) if scope["cells"] else 0
            if affected:
                retime.request_retime(
                    cause=retime.Cause.SLA_MATRIX,
                    scope=scope,
                    description=str(self.regulation),
                    actor=actor,
                    now=now,
                )
        return affected
