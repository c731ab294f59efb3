"""Regulation edits re-time open tickets.

An administrator's change to an SLA target, a calendar (hours, holidays, overrides), a priority
or a contract's support level moves the deadlines of open tickets. The edit writes a ``RetimeJob``
in its own transaction (``request_retime``); ``run_retime_jobs`` (the periodic task
``retime-open-tickets``, run by Celery beat or ``supportdesk runworker``, and sent at once after
the commit when a broker is configured) recomputes the clock of every open ticket in the job's
scope in batches and, per batch in one transaction:

- stores the deadline columns the queue, the sweep and the ticket page read (one bulk UPDATE);
- writes one "deadlines_changed" timeline event per ticket whose reaction or resolution deadline
  moved (one bulk INSERT), naming the cause and the old and new deadlines (and the old and new
  targets for a matrix edit).

Recomputing is idempotent: a ticket whose deadlines did not move gets no event, so a job run twice
(a crash, a redelivery) or two jobs over the same tickets write each change once. Only the open
tickets of the scope are read, through indexed filters (PITFALLS "Time": recompute only what a
change touches).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from supportdesk.accounts.models import User
from supportdesk.contracts.models import Contract
from supportdesk.regulations.models import SlaTarget, SupportLevel
from supportdesk.sla import clock, hooks, timers
from supportdesk.sla.models import RetimeJob
from supportdesk.tickets.models import Ticket, TicketEvent

logger = logging.getLogger("supportdesk.sla")

BATCH_SIZE = 200
TASK_NAME = "supportdesk.sla.tasks.retime_open_tickets"
# A job started this long ago and not finished is taken to have died with its worker: run again.
STALE_AFTER = dt.timedelta(minutes=10)
DEADLINE_COLUMNS = (
    "reaction_due_at",
    "reaction_met_at",
    "resolution_due_at",
    "resolution_met_at",
    "sla_due_at",
    "sla_next_check_at",
)
Cause = RetimeJob.Cause


@dataclass
class RetimeResult:
    jobs: int = 0
    tickets: int = 0
    retimed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def cell_key(level_id: int, priority_id: int) -> str:
    """How a matrix cell is named in a job's ``targets``."""
    return f"{level_id}:{priority_id}"


def open_tickets(scope: dict[str, Any]) -> QuerySet[Ticket]:
    """The open tickets a change of ``scope`` may re-time (see ``RetimeJob``)."""
    tickets = Ticket.objects.filter(closed_at__isnull=True)
    if "cells" in scope:
        cells = Q(pk__in=[])
        for level_id, priority_id in scope["cells"]:
            cells |= Q(level_id=level_id, priority_id=priority_id)
        tickets = tickets.filter(cells)
    if "regulation" in scope:
        tickets = tickets.filter(regulation_id=scope["regulation"])
    if "contract" in scope:
        tickets = tickets.filter(contract_id=scope["contract"])
    if "priority" in scope:
        tickets = tickets.filter(priority_id=scope["priority"])
    if "calendar" in scope:
        calendar_id = scope["calendar"]
        # Its cells' targets, or the regulation's own deadlines (silence, confirmation).
        cell_uses_it = SlaTarget.objects.filter(
            level_id=OuterRef("level_id"), priority_id=OuterRef("priority_id")
        ).filter(Q(reaction_calendar_id=calendar_id) | Q(resolution_calendar_id=calendar_id))
        tickets = tickets.filter(Q(regulation__calendar_id=calendar_id) | Exists(cell_uses_it))
    return tickets


def count_affected(scope: dict[str, Any]) -> int:
    """How many open tickets a change of ``scope`` re-times (what the admin sees before saving)."""
    return open_tickets(scope).count()


def request_retime(
    *,
    cause: str,
    scope: dict[str, Any],
    description: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> RetimeJob:
    """Queue the re-timing of ``scope``'s open tickets; call inside the edit's transaction."""
    job = RetimeJob.objects.create(
        cause=cause,
        scope=scope,
        description=description[:200],
        requested_by=actor,
        requested_at=now or timezone.now(),
    )
    if settings.CELERY_BROKER_URL:
        # With a worker the job starts at once; the periodic task is the safety net.
        transaction.on_commit(lambda: current_app.send_task(TASK_NAME), robust=True)
    return job


def run_retime_jobs(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> RetimeResult:
    """Run every pending job, oldest first. Safe to run twice at once: jobs are claimed."""
    result = RetimeResult()
    pending = RetimeJob.objects.filter(finished_at__isnull=True)
    # One indexed probe when nothing is pending.
    if not pending.exists():
        return result
    while (job := _claim(now or timezone.now())) is not None:
        result.jobs += 1
        seen, retimed = retime_job(job, now=now, batch_size=batch_size)
        result.tickets += seen
        result.retimed += retimed
    return result


def _claim(now: dt.datetime) -> RetimeJob | None:
    candidates = RetimeJob.objects.filter(finished_at__isnull=True).filter(
        Q(started_at__isnull=True) | Q(started_at__lt=now - STALE_AFTER)
    )
    for job in candidates.order_by("requested_at", "id")[:5]:
        # Take the job only if nobody started it since we read it.
        if RetimeJob.objects.filter(pk=job.pk, started_at=job.started_at).update(started_at=now):
            job.started_at = now
            return job
    return None


def retime_job(
    job: RetimeJob, *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> tuple[int, int]:
    """Re-time the open tickets of ``job`` in keyset batches; returns (seen, re-timed)."""
    tickets = open_tickets(job.scope)
    seen = retimed = 0
    last_id = 0
    while True:
        ids = list(
            tickets.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_id = ids[-1]
        seen += len(ids)
        retimed += retime_tickets(ids, job=job, now=now or timezone.now())
        if len(ids) < batch_size:
            break
    RetimeJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now(), tickets_seen=seen, tickets_retimed=retimed
    )
    logger.info("re-timed %s of %s open tickets after %s", retimed, seen, job.cause)
    return seen, retimed


def retime_tickets(ticket_ids: list[int], *, job: RetimeJob, now: dt.datetime) -> int:
    """One batch, in one transaction: columns stored in bulk, one event per moved ticket."""
    with transaction.atomic():
        rows = Ticket.objects.filter(pk__in=ticket_ids, closed_at__isnull=True).order_by("pk")
        if connection.features.has_select_for_update:
            # Wait for a ticket service holding a row: its change must not be overwritten.
            rows = rows.select_for_update(of=("self",))
        tickets = list(rows)
        level_changes = _follow_contract_level(tickets, job.scope)
        context = clock.load_context(tickets)
        steps = clock.load_steps(ticket_ids)
        fired = clock.load_fired(ticket_ids)
        changed: list[Ticket] = []
        fields: set[str] = set()
        events: list[TicketEvent] = []
        for ticket in tickets:
            ticket_clock = clock.ticket_clock(
                ticket, context=context, steps=steps.get(ticket.pk, []), now=now
            )
            values = ticket_clock.columns()
            values["sla_next_check_at"] = hooks.next_check_at(
                ticket_clock, fired.get(ticket.pk, set()), now
            )
            data = _event_data(ticket, ticket_clock, values, job, level_changes.get(ticket.pk))
            moved = {
                name: value for name, value in values.items() if getattr(ticket, name) != value
            }
            if moved or ticket.pk in level_changes:
                for name, value in moved.items():
                    setattr(ticket, name, value)
                fields |= set(moved)
                changed.append(ticket)
            if data is not None:
                events.append(
                    TicketEvent(
                        ticket=ticket, created_at=now, kind=timers.DEADLINES_CHANGED, data=data
                    )
                )
        if level_changes:
            fields.add("level")
        if changed and fields:
            # Derived data and a contract's level: a bulk update leaves updated_at alone.
            Ticket.objects.bulk_update(changed, sorted(fields))
        TicketEvent.objects.bulk_create(events)
    return len(events)


def _follow_contract_level(
    tickets: list[Ticket], scope: dict[str, Any]
) -> dict[int, tuple[int, int]]:
    """A contract's new level applies to its open tickets: (old, new) level per moved ticket."""
    if "contract" not in scope:
        return {}
    level_id = Contract.objects.filter(pk=scope["contract"]).values_list("level_id", flat=True)
    new_level = level_id.first()
    if new_level is None:
        return {}
    moves = {}
    for ticket in tickets:
        if ticket.level_id != new_level:
            moves[ticket.pk] = (ticket.level_id, new_level)
            ticket.level_id = new_level
    return moves


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _event_data(
    ticket: Ticket,
    ticket_clock: timers.TicketClock,
    values: dict[str, dt.datetime | None],
    job: RetimeJob,
    level_change: tuple[int, int] | None,
) -> dict[str, Any] | None:
    """What the timeline keeps about the move; None when neither deadline moved."""
    data: dict[str, Any] = {"cause": job.cause}
    old_targets = job.scope.get("targets", {}).get(cell_key(ticket.level_id, ticket.priority_id))
    for name in (timers.REACTION, timers.RESOLUTION):
        column = f"{name}_due_at"
        before, after = getattr(ticket, column), values[column]
        if before == after:
            continue
        timer = getattr(ticket_clock, name)
        change: dict[str, Any] = {"old": _iso(before), "new": _iso(after)}
        if old_targets and name in old_targets:
            change["old_minutes"], change["new_minutes"] = old_targets[name]
        elif timer is not None:
            change["new_minutes"] = timer.target_minutes
        data[name] = change
    if level_change is not None:
        levels = SupportLevel.objects.in_bulk(level_change)
        data["level"] = {
            side: {"code": level.code, "name": level.name, "name_en": level.name_en}
            for side, level in zip(
                ("from", "to"), (levels.get(i) for i in level_change), strict=True
            )
            if level is not None
        }
    if timers.REACTION not in data and timers.RESOLUTION not in data and "level" not in data:
        return None
    return data
