"""The compiled rules cache: every kind of edit gives a new version, and registration sees it at
once (no stale required field, channel, priority, route, SLA cell or calendar)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.regulations.models import (
    CalendarOverride,
    ChannelRule,
    Priority,
    Regulation,
    RequiredField,
    SlaTarget,
    WorkingHours,
)
from supportdesk.regulations.presets import load_preset
from supportdesk.regulations.rules import bump_rules, compiled_rules
from supportdesk.sla.clock import regulation_context
from supportdesk.tickets.registration import RegistrationRefused
from supportdesk.tickets.tests.helpers import sep_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def version(cast) -> str:
    return Regulation.objects.get(pk=cast.regulation_000.pk).rules_version


def fresh(cast) -> Regulation:
    return Regulation.objects.get(pk=cast.regulation_000.pk)


def test_compiled_rules_are_read_once_per_version(cast):
    regulation = fresh(cast)
    compiled_rules(regulation)
    regulation_context(regulation)
    with CaptureQueriesContext(connection) as queries:
        assert compiled_rules(regulation).regulation_id == regulation.pk
        regulation_context(regulation)
    assert queries.captured_queries == []


def test_every_edit_gives_a_new_version(cast):
    regulation = cast.regulation_000
    seen = {version(cast)}

    def changed() -> None:
        current = version(cast)
        assert current not in seen
        seen.add(current)

    regulation.warning_percent = 75
    regulation.save(update_fields=["warning_percent"])
    changed()
    RequiredField.objects.filter(regulation=regulation)[0].save()
    changed()
    Priority.objects.filter(regulation=regulation)[0].save()
    changed()
    rule = ChannelRule.objects.filter(regulation=regulation)[0]
    rule.levels.clear()
    changed()
    cell = SlaTarget.objects.filter(regulation=regulation)[0]
    cell.delete()
    changed()
    WorkingHours.objects.filter(calendar=regulation.calendar)[0].save()
    changed()
    CalendarOverride.objects.create(
        calendar=regulation.calendar, date=datetime.date(2026, 11, 24), kind="day_off"
    )
    changed()
    bump_rules(regulation_ids=[regulation.pk])
    changed()
    load_preset("000")
    changed()


def test_a_new_required_field_applies_to_the_next_registration(cast):
    sep_ticket(cast)  # warms the cache
    RequiredField.objects.create(regulation=cast.regulation_000, field="subject")

    with pytest.raises(RegistrationRefused) as refused:
        sep_ticket(cast, subject="")
    assert (refused.value.reason, refused.value.fields) == ("missing_fields", ["subject"])


def test_a_channel_taken_away_applies_to_the_next_registration(cast):
    sep_ticket(cast)
    ChannelRule.objects.filter(regulation=cast.regulation_000, channel="portal").delete()

    with pytest.raises(RegistrationRefused) as refused:
        sep_ticket(cast)
    assert refused.value.reason == "channel_not_allowed"


def test_an_edited_sla_cell_applies_to_the_next_registration(cast):
    first = sep_ticket(cast)
    cell = SlaTarget.objects.get(level=first.level, priority=first.priority)
    cell.reaction_minutes = 60
    cell.save()

    second = sep_ticket(cast)
    assert second.reaction_due_at == NOW + datetime.timedelta(minutes=60)
    assert first.reaction_due_at != second.reaction_due_at


def test_a_day_off_added_to_the_calendar_applies_to_the_next_registration(cast):
    first = sep_ticket(cast)
    cell = SlaTarget.objects.get(level=first.level, priority=first.priority)
    # The first deadline falls on Tuesday the 24th; that day off moves it.
    assert first.reaction_due_at is not None
    assert first.reaction_due_at.date() == datetime.date(2026, 11, 24)
    CalendarOverride.objects.create(
        calendar=cell.reaction_calendar, date=datetime.date(2026, 11, 24), kind="day_off"
    )

    second = sep_ticket(cast)
    assert second.reaction_due_at is not None
    assert second.reaction_due_at > first.reaction_due_at
