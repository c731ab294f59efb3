"""Mail is never abandoned: quick retries, then hourly for three days, permanent refusals told
apart from temporary ones, and a manager's re-send. Against a real SMTP server on loopback."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from supportdesk.audit.models import AuditRecord
from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage, Resend
from supportdesk.outbox.relay import deliver_due, outbox_health
from supportdesk.outbox.services import ResendRefused, resend_message
from supportdesk.outbox.tests.test_smtp import T0, SMTPSink, enqueue, free_port, use_smtp

HOUR = datetime.timedelta(hours=1)


class RefusingSink(SMTPSink):
    """An SMTP server that answers RCPT TO with a fixed reply (e.g. 550 or 451)."""

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.reply


@pytest.fixture
def refusing(settings, request):
    sink = RefusingSink(request.param).start()
    use_smtp(settings, sink.port)
    yield sink
    sink.stop()


@pytest.mark.django_db
def test_a_long_outage_ends_in_exactly_one_delivery(settings):
    """Two days without SMTP with the default budgets: the quick retries run out after about an
    hour, the rows go on the hourly schedule (an alert), and when the server is back each is
    delivered once and never again."""
    settings.OUTBOX_MAX_ATTEMPTS = 8
    settings.OUTBOX_BACKOFF_SECONDS = 30
    settings.OUTBOX_SLOW_RETRY_SECONDS = 3600
    settings.OUTBOX_SLOW_RETRY_HOURS = 72
    sink = SMTPSink()  # not started: its port refuses connections
    use_smtp(settings, sink.port)
    with time_machine.travel(T0, tick=False) as traveller:
        first = enqueue(number="SD-2026-000001")
        second = None
        while traveller_now() < T0 + 2 * 24 * HOUR:
            due = OutboxMessage.objects.filter(state="pending").order_by("next_attempt_at").first()
            assert due is not None, "a message was abandoned during the outage"
            traveller.move_to(due.next_attempt_at)
            deliver_due()
            if second is None and traveller_now() > T0 + 24 * HOUR:
                second = enqueue(number="SD-2026-000002")
        health = outbox_health()
        assert health["slow"] == 2 and health["failed"] == 0 and health["alerts"] == 2
        first.refresh_from_db()
        assert first.state == OutboxMessage.State.PENDING
        assert first.attempts > 8 + 40  # eight quick ones, then one an hour
        assert first.slow_since is not None and first.slow_since < T0 + 2 * HOUR

        sink.start()
        try:
            for _ in range(30):  # the next day, hour by hour: every pass of the relay
                traveller.shift(HOUR)
                deliver_due()
            received = sink.wait_for(2)
        finally:
            sink.stop()
        health = outbox_health()

    assert second is not None
    assert sorted(m["Message-ID"] for m in received) == sorted(
        [first.message_id, second.message_id]
    )
    assert len(sink.messages) == 2
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() == 2
    assert health["alerts"] == 0 and health["pending"] == 0
    assert DeliveryAttempt.objects.filter(success=True).count() == 2


def traveller_now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


@pytest.mark.django_db
def test_after_the_slow_schedule_the_message_fails_and_counts_as_an_alert(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_BACKOFF_SECONDS = 30
    settings.OUTBOX_SLOW_RETRY_SECONDS = 3600
    settings.OUTBOX_SLOW_RETRY_HOURS = 3
    use_smtp(settings, free_port())
    outcomes = []
    with time_machine.travel(T0, tick=False) as traveller:
        message = enqueue()
        while message.state == OutboxMessage.State.PENDING:
            traveller.move_to(message.next_attempt_at)
            report = deliver_due()
            message.refresh_from_db()
            outcomes.append((traveller_now() - T0, report.retrying, report.failed))
        traveller.shift(24 * HOUR)
        assert deliver_due().as_dict() == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
        health = outbox_health()

    s30 = datetime.timedelta(seconds=30)
    assert outcomes == [
        (datetime.timedelta(0), 1, 0),
        (s30, 1, 0),  # the second quick attempt: now on the slow schedule
        (s30 + HOUR, 1, 0),
        (s30 + 2 * HOUR, 1, 0),
        (s30 + 3 * HOUR, 0, 1),  # three hours on the slow schedule: failed
    ]
    assert message.slow_since == T0 + s30
    assert message.next_attempt_at is None
    assert not message.permanent_failure
    assert health == {
        "pending": 0,
        "oldest_pending_seconds": 0,
        "retrying": 0,
        "slow": 0,
        "failed": 1,
        "alerts": 1,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("refusing", ["550 5.1.1 No such user here"], indirect=True)
def test_a_permanent_refusal_fails_at_once_with_the_servers_reply(refusing):
    with time_machine.travel(T0, tick=False):
        message = enqueue(to="nobody@example.com")
        report = deliver_due()

    assert report.as_dict() == {"sent": 0, "retrying": 0, "failed": 1, "skipped": 0}
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert message.permanent_failure
    assert message.attempts == 1
    assert "550 5.1.1 No such user here" in message.last_error
    assert message.last_error.startswith("SMTPRecipientsRefused: nobody@example.com: 550")
    [attempt] = message.deliveries.all()
    assert (attempt.smtp_code, attempt.permanent) == (550, True)
    assert refusing.messages == []


@pytest.mark.django_db
@pytest.mark.parametrize("refusing", ["451 4.3.0 Try again later"], indirect=True)
def test_a_temporary_refusal_is_retried_with_the_servers_reply(refusing, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    with time_machine.travel(T0, tick=False):
        message = enqueue()
        report = deliver_due()

    assert report.as_dict() == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}
    message.refresh_from_db()
    assert (message.state, message.permanent_failure) == (OutboxMessage.State.PENDING, False)
    assert message.next_attempt_at == T0 + datetime.timedelta(seconds=30)
    assert "451 4.3.0 Try again later" in message.last_error
    [attempt] = message.deliveries.all()
    assert (attempt.smtp_code, attempt.permanent) == (451, False)


@pytest.mark.django_db
@pytest.mark.parametrize("refusing", ["550 5.1.1 No such user here"], indirect=True)
def test_a_manager_resends_a_refused_message_and_it_is_delivered_once(
    refusing, client, cast, settings
):
    with time_machine.travel(T0, tick=False) as traveller:
        message = enqueue()
        deliver_due()
        message.refresh_from_db()
        assert message.state == OutboxMessage.State.FAILED
        page = reverse("workspace:outbox_message")

        client.force_login(cast.manager)
        html = client.get(page, {"id": message.pk}).content.decode()
        assert reverse("workspace:outbox_resend") in html  # the button
        refusing.reply = "250 OK"  # the recipient's mailbox was fixed
        traveller.shift(datetime.timedelta(minutes=10))
        response = client.post(reverse("workspace:outbox_resend"), {"id": message.pk})
        assert response.status_code == 302
        assert deliver_due().sent == 1
        assert deliver_due().sent == 0
        html = client.get(page, {"id": message.pk}).content.decode()

    assert len(refusing.wait_for(1)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.SENT, 0)
    [resend] = Resend.objects.filter(message=message)
    assert resend.requested_by == cast.manager
    assert resend.requested_at == T0 + datetime.timedelta(minutes=10)
    assert (resend.previous_state, resend.previous_attempts) == ("failed", 1)
    assert "550 5.1.1" in resend.previous_error
    audit = AuditRecord.objects.get(action="resend", target_id=str(message.pk))
    assert (audit.actor_id, audit.target_type) == (cast.manager.pk, "outbox.outboxmessage")
    assert cast.manager.email in html  # the trace on the mail view
    assert reverse("workspace:outbox_resend") not in html  # delivered: no button

    with pytest.raises(ResendRefused):
        resend_message(message_id=message.pk, actor=cast.manager)


@pytest.mark.django_db
def test_only_managers_may_resend_and_a_retrying_message_is_left_alone(client, cast):
    with time_machine.travel(T0, tick=False):
        message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(state="failed", attempts=8)
    url = reverse("workspace:outbox_resend")

    client.force_login(cast.engineer)
    assert client.post(url, {"id": message.pk}).status_code == 403
    client.force_login(cast.manager)
    assert client.get(url, {"id": message.pk}).status_code == 405
    assert client.post(url, {"id": "１２"}).status_code == 404
    assert client.post(url, {"id": 999999}).status_code == 404
    assert Resend.objects.count() == 0

    OutboxMessage.objects.filter(pk=message.pk).update(state="pending", attempts=2)
    response = client.post(url, {"id": message.pk}, follow=True)
    assert "Отправка этого письма уже повторяется." in response.content.decode()
    assert Resend.objects.count() == 0
