"""Celery tasks of the outbox. Beat runs them in production, ``supportdesk runworker`` otherwise."""

from __future__ import annotations

from celery import shared_task

from supportdesk.outbox.relay import deliver_due


@shared_task(name="supportdesk.outbox.tasks.deliver_outbox", acks_late=True, ignore_result=True)
def deliver_outbox() -> dict[str, int]:
    """One delivery pass. Safe to run twice at once or again after a crash: rows are claimed."""
    return deliver_due().as_dict()
