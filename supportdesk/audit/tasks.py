"""The audit log's retention: a daily purge (config/celery.py)."""

from __future__ import annotations

from celery import shared_task

from supportdesk.audit.services import purge_expired


@shared_task(name="supportdesk.audit.tasks.purge_audit_log", ignore_result=True)
def purge_audit_log() -> int:
    return purge_expired()
