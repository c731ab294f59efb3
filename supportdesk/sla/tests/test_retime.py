"""Regulation edits re-time open tickets: the grid, calendars, contracts; columns, events, sweep."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from supportdesk.regulations.models import CalendarOverride, SlaTarget, SupportLevel
from supportdesk.sla import retime
from supportdesk.sla.models import RetimeJob
from supportdesk.sla.sweep import sweep_sla
from supportdesk.sla.tests.helpers import events, fresh, msk, sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.models import TicketEvent
from supportdesk.tickets.timeline import deadline_changes

MONDAY_9 = msk(2026, 11, 23, 9)
MONDAY_10 = msk(2026, 11, 23, 10)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def essential_p4(cast) -> SlaTarget:
    return SlaTarget.objects.get(
        level=cast.contract_alpha.level,
        priority__code="p4",
        regulation=cast.contract_alpha.regulation,
    )


def grid_field(cell: SlaTarget, timer: str, unit: str) -> str:
    return f"c{cell.level_id}_{cell.priority_id}_{timer}_{unit}"


def grid_post(cast, changes: dict[str, int]) -> dict[str, str]:
    """The grid as the admin page posts it: every cell unchanged but ``changes``."""
    data: dict[str, str] = {}
    for cell in SlaTarget.objects.filter(regulation=cast.contract_alpha.regulation):
        for timer in ("reaction", "resolution"):
            minutes = getattr(cell, f"{timer}_minutes")
            data[grid_field(cell, timer, "h")] = str(minutes // 60)
            data[grid_field(cell, timer, "m")] = str(minutes % 60)
    data.update({key: str(value) for key, value in changes.items()})
    return data


@pytest.fixture
def admin_client(cast) -> Client:
    client = Client()
    client.force_login(cast.administrator)
    return client


def test_the_grid_previews_the_count_then_saves_and_the_job_retimes(cast, admin_client):
    open_one = sep_ticket(cast, now=MONDAY_9)
    open_two = sep_ticket(cast, now=MONDAY_9, subject="Second")
    other_cell = sep_ticket(cast, now=MONDAY_9, priority="p3")
    closed = sep_ticket(cast, now=MONDAY_9, subject="Withdrawn")
    actions.withdraw_ticket(ticket=closed, actor=cast.customer_alpha, now=MONDAY_9)
    assert fresh(open_one).reaction_due_at == msk(2026, 11, 24, 9)  # 720 min: Tue 09:00
    cell = essential_p4(cast)
    url = reverse("admin:sla_slamatrix_change", args=[cast.contract_alpha.regulation_id])
    assert admin_client.get(url).status_code == 200

    # 12 h → 11 h of reaction: the first POST only previews.
    data = grid_post(cast, {grid_field(cell, "reaction", "h"): 11})
    page = admin_client.post(url, data)
    assert page.status_code == 200
    assert page.context["preview"]["affected"] == 2
    assert "retime-preview" in page.content.decode()
    cell.refresh_from_db()
    assert cell.reaction_minutes == 720
    assert not RetimeJob.objects.exists()

    # Confirmed: saved, one job queued, nothing re-timed until the job runs.
    saved = admin_client.post(url, {**data, "confirm": page.context["preview"]["signature"]})
    assert saved.status_code == 302
    cell.refresh_from_db()
    assert (cell.reaction_minutes, cell.is_example) == (660, False)
    job = RetimeJob.objects.get()
    assert job.cause == RetimeJob.Cause.SLA_MATRIX
    assert job.scope["targets"] == {
        retime.cell_key(cell.level_id, cell.priority_id): {"reaction": [720, 660]}
    }
    assert fresh(open_one).reaction_due_at == msk(2026, 11, 24, 9)

    result = retime.run_retime_jobs()
    assert (result.jobs, result.tickets, result.retimed) == (1, 2, 2)
    for ticket in (open_one, open_two):
        t = fresh(ticket)
        assert t.reaction_due_at == msk(2026, 11, 23, 20)  # 660 min: Mon 20:00
        assert t.sla_due_at == msk(2026, 11, 23, 20)
        [event] = events(ticket, TicketEvent.Kind.DEADLINES_CHANGED)
        assert event.data["cause"] == "sla_matrix"
        assert set(event.data) == {"cause", "reaction"}  # the resolution did not move
        assert event.data["reaction"]["old_minutes"] == 720
        assert event.data["reaction"]["new_minutes"] == 660
    assert not events(other_cell, TicketEvent.Kind.DEADLINES_CHANGED)
    assert not events(closed, TicketEvent.Kind.DEADLINES_CHANGED)
    job.refresh_from_db()
    assert job.finished_at is not None and job.tickets_retimed == 2

    # Run again: nothing moves, nothing is written twice.
    assert retime.run_retime_jobs().jobs == 0
    retime.request_retime(cause=RetimeJob.Cause.SLA_MATRIX, scope=job.scope)
    assert retime.run_retime_jobs().retimed == 0
    assert len(events(open_one, TicketEvent.Kind.DEADLINES_CHANGED)) == 1


def test_the_event_reads_as_the_cause_and_old_and_new_deadlines(cast):
    ticket = sep_ticket(cast, now=MONDAY_9)
    cell = essential_p4(cast)
    SlaTarget.objects.filter(pk=cell.pk).update(reaction_minutes=660)
    scope = {
        "cells": [[cell.level_id, cell.priority_id]],
        "targets": {retime.cell_key(cell.level_id, cell.priority_id): {"reaction": [720, 660]}},
    }
    retime.request_retime(cause=RetimeJob.Cause.SLA_MATRIX, scope=scope)
    retime.run_retime_jobs()
    [event] = events(ticket, TicketEvent.Kind.DEADLINES_CHANGED)
    with translation.override("en"), timezone.override("Europe/Moscow"):
        lines = deadline_changes(event.data)
    assert lines[0] == "After the SLA matrix changed"
    assert lines[1].startswith("Reaction: ")
    assert "09:00" in lines[1] and "20:00" in lines[1] and "→" in lines[1]
    assert "(target 12 h → 11 h of business time)" in lines[1]
    assert len(lines) == 2
    with translation.override("ru"), timezone.override("Europe/Moscow"):
        assert deadline_changes(event.data)[0] == "После изменения матрицы SLA"


def test_a_day_off_in_the_calendar_moves_the_deadline_and_the_sweep_follows(cast, admin_client):
    ticket = sep_ticket(cast, now=MONDAY_9)  # reaction due Tue 09:00
    calendar = cast.contract_alpha.regulation.calendar
    url = reverse("admin:regulations_businesscalendar_change", args=[calendar.pk])
    page = admin_client.get(url)
    assert page.context["retime_affected"] >= 1
    assert 'id="retime-notice"' in page.content.decode()
    CalendarOverride.objects.create(
        calendar=calendar, date=dt.date(2026, 11, 24), kind=CalendarOverride.Kind.DAY_OFF
    )
    retime.request_retime(cause=RetimeJob.Cause.CALENDAR, scope={"calendar": calendar.pk})
    retime.run_retime_jobs()
    t = fresh(ticket)
    assert t.reaction_due_at == msk(2026, 11, 25, 9)  # Tuesday off: Wednesday 09:00
    [event] = events(ticket, TicketEvent.Kind.DEADLINES_CHANGED)
    assert event.data["cause"] == "calendar"
    assert event.data["reaction"]["old"] == msk(2026, 11, 24, 9).astimezone(dt.UTC).isoformat()
    # The sweep reads the new column: no breach on Tuesday at 10:00 (the 80 % warning of
    # Monday 18:36 only), the breach on Wednesday.
    sweep_sla(now=msk(2026, 11, 24, 10))
    assert len(events(ticket, TicketEvent.Kind.SLA_WARNING)) == 1
    assert not events(ticket, TicketEvent.Kind.SLA_BREACH)
    sweep_sla(now=msk(2026, 11, 25, 9, 1))
    assert len(events(ticket, TicketEvent.Kind.SLA_BREACH)) == 1


def test_an_override_saved_in_the_admin_queues_the_job(cast, admin_client):
    sep_ticket(cast, now=MONDAY_9)
    calendar = cast.contract_alpha.regulation.calendar
    response = admin_client.post(
        reverse("admin:regulations_calendaroverride_add"),
        {"calendar": calendar.pk, "date": "2026-11-24", "kind": "day_off", "note": "test"},
    )
    assert response.status_code == 302
    job = RetimeJob.objects.get()
    assert (job.cause, job.scope) == ("calendar", {"calendar": calendar.pk})


def test_a_contract_upgrade_moves_its_open_tickets_to_the_new_level(cast, admin_client):
    ticket = sep_ticket(cast, now=MONDAY_9)
    contract = cast.contract_alpha
    bcs = SupportLevel.objects.get(regulation=contract.regulation, code="bcs")
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    page = admin_client.get(url)
    assert page.context["retime_affected"] == 1
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name not in ("products",)}
    data.update(
        {
            "level": bcs.pk,
            "organization": contract.organization_id,
            "regulation": contract.regulation_id,
            "products": [p.pk for p in contract.products.all()],
            "license_keys-TOTAL_FORMS": "0",
            "license_keys-INITIAL_FORMS": "0",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    retime.run_retime_jobs()
    t = fresh(ticket)
    assert t.level_id == bcs.pk
    assert t.reaction_due_at == msk(2026, 11, 23, 17)  # BCS p4: 480 min from 09:00
    [event] = events(ticket, TicketEvent.Kind.DEADLINES_CHANGED)
    assert event.data["cause"] == "contract"
    assert event.data["level"]["from"]["code"] == "essential"
    assert event.data["level"]["to"]["code"] == "bcs"
    with translation.override("en"):
        assert "Support level: Essential → BCS (Business Critical Services)" in deadline_changes(
            event.data
        )


def test_the_ticket_page_reads_the_stored_deadline_like_the_queue(cast):
    ticket = sep_ticket(cast, now=MONDAY_9)
    client = Client()
    client.force_login(cast.engineer)
    SlaTarget.objects.filter(pk=essential_p4(cast).pk).update(reaction_minutes=660)
    # Before the job: the page still shows the stored deadline (Tue 09:00 MSK = 06:00 UTC).
    page = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()
    assert 'datetime="2026-11-24T06:00:00+00:00"' in page
    retime.request_retime(cause="sla_matrix", scope={"regulation": ticket.regulation_id})
    retime.run_retime_jobs()
    page = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()
    assert 'datetime="2026-11-23T17:00:00+00:00"' in page
