"""Celery application and the whole periodic schedule in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded runner (supportdesk runworker) reads this same table, so both run the same jobs.
# A pass that waited in the queue longer than its own interval is dropped (``expires``): the next
# one does the same work, so a worker that was down does not face a backlog of identical passes.
PERIODIC_TASKS: dict[str, dict] = {
    "deliver-outbox": {
        "task": "supportdesk.outbox.tasks.deliver_outbox",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    "poll-mailboxes": {
        "task": "supportdesk.mail.tasks.poll_mailboxes",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "sweep-sla": {
        "task": "supportdesk.sla.tasks.sweep_sla",
        "schedule": 30.0,
        "options": {"expires": 30.0},
    },
    "purge-audit-log": {
        "task": "supportdesk.audit.tasks.purge_audit_log",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600.0},
    },
    # Deadline recalculations after regulation edits (sent at once too when a broker exists).
    "retime-open-tickets": {
        "task": "supportdesk.sla.tasks.retime_open_tickets",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
}
app.conf.beat_schedule = PERIODIC_TASKS
