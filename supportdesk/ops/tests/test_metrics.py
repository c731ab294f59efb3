import datetime

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.tests.helpers import ngfw_ticket, sep_ticket


def samples(response) -> dict[tuple[str, tuple], float]:
    families = text_string_to_metric_families(response.content.decode())
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def test_metrics_report_queues_sla_risk_and_the_outbox(client, cast):
    now = timezone.now()
    breached = sep_ticket(cast)
    at_risk = sep_ticket(cast, subject="Second")
    ngfw_ticket(cast)
    Ticket.objects.filter(pk=breached.pk).update(sla_due_at=now - datetime.timedelta(minutes=1))
    Ticket.objects.filter(pk=at_risk.pk).update(sla_due_at=now + datetime.timedelta(minutes=30))
    OutboxMessage.objects.update(state=OutboxMessage.State.FAILED)
    client.get("/healthz")  # observed by the latency histogram

    response = client.get("/metrics")

    assert response.status_code == 200
    values = samples(response)
    assert breached.team is not None
    team = breached.team.name
    assert values[("supportdesk_queue_depth", (("team", team),))] == 2
    assert values[("supportdesk_sla_breached", (("team", team),))] == 1
    assert values[("supportdesk_sla_at_risk", (("team", team),))] == 1
    assert values[("supportdesk_outbox_failed", ())] == OutboxMessage.objects.count() > 0
    assert values[("supportdesk_outbox_pending", ())] == 0
    assert values[("supportdesk_sla_sweep_lag_seconds", ())] >= 0
    healthz = (("method", "GET"), ("route", "healthz"), ("status", "2xx"))
    assert values[("supportdesk_request_duration_seconds_count", healthz)] >= 1


@pytest.mark.django_db
def test_metrics_refuse_other_addresses(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_metrics_accept_the_bearer_token_only(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 200
    assert b"supportdesk_outbox_pending" in right.content


def test_json_logs_are_one_object_per_line():
    import json
    import logging

    from pythonjsonlogger.json import JsonFormatter

    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
    )
    record = logging.LogRecord("supportdesk.sla", logging.WARNING, "x", 1, "late %s", ("a",), None)
    line = json.loads(formatter.format(record))
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "supportdesk.sla",
        "late a",
    )
