"""Celery tasks of the SLA engine. Beat runs them in production, ``supportdesk runworker``
otherwise (both read ``config.celery.PERIODIC_TASKS``)."""

from __future__ import annotations

from celery import shared_task

from supportdesk.sla.retime import run_retime_jobs
from supportdesk.sla.sweep import sweep_sla as run_sweep


@shared_task(name="supportdesk.sla.tasks.sweep_sla", acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    """One sweep over the due SLA checks. Safe to run twice at once or again after a crash."""
    return run_sweep().as_dict()


@shared_task(name="supportdesk.sla.tasks.retime_open_tickets", acks_late=True, ignore_result=True)
def retime_open_tickets() -> dict[str, int]:
    """Run the pending deadline recalculations after regulation edits. Safe to run twice."""
    return run_retime_jobs().as_dict()
