"""Celery tasks of the SLA engine. Beat runs them in production, ``supportdesk runworker``
otherwise (both read ``config.celery.PERIODIC_TASKS``)."""

from __future__ import annotations

from celery import shared_task

from supportdesk.sla.sweep import sweep_sla as run_sweep


@shared_task(name="supportdesk.sla.tasks.sweep_sla", acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    """One sweep over the due SLA checks. Safe to run twice at once or again after a crash."""
    return run_sweep().as_dict()
