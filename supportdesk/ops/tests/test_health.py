import datetime

import pytest
from django.utils import timezone

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.tests.helpers import sep_ticket


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any database access would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_ready_when_nothing_lags(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "outbox", "sla_sweep"}


@pytest.mark.django_db
def test_readyz_fails_when_the_outbox_lags(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.READY_OUTBOX_MAX_AGE = 60
    message = OutboxMessage.objects.create(
        template="t", recipients=["a@example.com"], language="en", subject="s", body_text="b"
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["outbox"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_readyz_fails_when_the_sweep_lags(client, settings, cast):
    settings.CELERY_BROKER_URL = ""
    ticket = sep_ticket(cast)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_next_check_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sla_sweep"]["ok"] is False


@pytest.mark.django_db
def test_readyz_fails_when_the_configured_broker_is_down(client, settings):
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.READY_BROKER_TIMEOUT = 0.5
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.integration
@pytest.mark.django_db
def test_readyz_checks_a_live_broker(client, settings):
    import os

    settings.CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    response = client.get("/readyz")
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "reachable"}
