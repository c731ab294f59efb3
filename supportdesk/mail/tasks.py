"""Celery tasks of mail intake. Beat runs them in production, ``supportdesk runworker`` otherwise
(both read ``config.celery.PERIODIC_TASKS``)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from supportdesk.mail.imap import poll_mailboxes as poll


@shared_task(name="supportdesk.mail.tasks.poll_mailboxes", acks_late=True, ignore_result=True)
def poll_mailboxes() -> dict[str, int]:
    """One pass over every active mailbox. Safe to run twice at once or after a crash: intake
    deduplicates and the server flags a message only after its commit."""
    return asdict(poll())
