"""Intake outcomes, each through the same services as the portal."""

from __future__ import annotations

import pytest
import time_machine

from supportdesk.mail.models import InboundMessage
from supportdesk.mail.tests.helpers import VERITAS, raw_message, take
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.tokens import reply_address_for
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent
from supportdesk.tickets.tests.helpers import NOW, ngfw_ticket, sep_ticket

Outcome = InboundMessage.Outcome
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cast")]

REQUEST = (
    "Product: Veritas NetBackup\nVersion: 10.4\nOS: RHEL 9\nService pack: 9.4\n\n"
    "Job 42 fails with status 96."
)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def our_notification(ticket: Ticket) -> OutboxMessage:
    return OutboxMessage.objects.filter(ticket=ticket).order_by("-id")[0]


def test_new_request_to_veritas_line_registers_a_ticket(cast):
    record = take(raw_message(body=REQUEST, files=[("job.log", b"status 96\n" * 50, "text/plain")]))

    assert record.outcome == Outcome.TICKET
    ticket = record.ticket
    assert ticket is not None
    assert ticket.channel == "email"
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.product == cast.product_netbackup
    assert (ticket.version, ticket.os_version) == ("10.4", "RHEL 9")
    assert ticket.subject == "NetBackup job fails"
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.event == record.event
    assert attachment.file.read() == b"status 96\n" * 50
    assert record.raw.tobytes() if hasattr(record.raw, "tobytes") else record.raw
    assert OutboxMessage.objects.filter(template="ticket_registered", ticket=ticket).exists()


def test_refused_registration_is_answered_with_the_reason(cast):
    record = take(
        raw_message(body="Product: Veritas NetBackup\n\nBroken.", sender="aset@gamma.example")
    )

    assert record.outcome == Outcome.REFUSED
    assert record.refusal is not None
    answer = OutboxMessage.objects.get(template="mail_refused")
    assert answer.recipients == ["aset@gamma.example"]
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    assert answer.headers["In-Reply-To"] == record.message_id
    assert "SYM-900900" in answer.body_text or record.refusal.message in answer.body_text
    assert not Ticket.objects.filter(contact__user=cast.customer_gamma).exists()


def test_e_mail_for_another_line_gets_the_policy_answer_and_no_ticket(cast):
    record = take(raw_message(to="someone@elsewhere.example", sender="olga@beta.example"))

    assert record.outcome == Outcome.POLICY_ANSWER
    assert not Ticket.objects.exists()
    answer = OutboxMessage.objects.get(template="mail_policy_answer")
    assert answer.language == "en"
    assert "https://support.usergate.com/ru" in answer.body_text


def test_unknown_sender_is_quarantined(cast):
    record = take(raw_message(sender="stranger@unknown.example", body=REQUEST))

    assert record.outcome == Outcome.QUARANTINE
    assert record.reason == InboundMessage.Reason.UNKNOWN_SENDER
    assert not Ticket.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_reply_to_000_notification_becomes_a_customer_reply(cast):
    ticket = sep_ticket(cast)
    notification = our_notification(ticket)

    record = take(
        raw_message(
            subject=f"Re: [{ticket.number}] registered",
            body="Here are the logs.\n\nOn Monday support wrote:\n> registered",
            headers={"In-Reply-To": notification.message_id},
            files=[("sep.log", b"error 1\n" * 30, "text/plain")],
        )
    )

    assert record.outcome == Outcome.REPLY
    assert record.ticket == ticket
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.CUSTOMER_REPLY)
    assert reply.body == "Here are the logs."
    assert reply.actor == cast.customer_alpha
    assert Attachment.objects.get(event=reply).file.read() == b"error 1\n" * 30


def test_reply_through_the_signed_reply_to_address(cast):
    ticket = sep_ticket(cast)

    record = take(raw_message(to=reply_address_for(ticket.number, "support@localhost")))

    assert record.outcome == Outcome.REPLY
    assert record.ticket == ticket


def test_forged_threading_attaches_nothing(cast):
    ticket = sep_ticket(cast)
    notification = our_notification(ticket)

    record = take(
        raw_message(
            subject=f"Re: [{ticket.number}]",
            to=f"support+{ticket.number}.0000000000000000@localhost",
            headers={"In-Reply-To": f"<outbox-{notification.pk}@supportdesk>"},
            body="Product: Veritas NetBackup\nSomething else.",
        )
    )

    assert record.outcome != Outcome.REPLY
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()


def test_reply_from_someone_who_may_not_act_is_quarantined(cast):
    ticket = sep_ticket(cast)

    record = take(
        raw_message(
            sender="petr@alpha.example",
            headers={"In-Reply-To": our_notification(ticket).message_id},
        )
    )

    assert record.outcome == Outcome.QUARANTINE
    assert record.reason == InboundMessage.Reason.SENDER_MAY_NOT_ACT
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()


def test_reply_to_002_is_kept_for_agents_and_answered_politely(cast):
    ticket = ngfw_ticket(cast)
    before = dict(Ticket.objects.values().get(pk=ticket.pk))

    record = take(
        raw_message(
            sender="olga@beta.example",
            headers={"In-Reply-To": our_notification(ticket).message_id},
            body="Tunnels still drop.",
        )
    )

    assert record.outcome == Outcome.REJECTED_REPLY
    kept = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.EMAIL_NOT_ACCEPTED)
    assert kept.is_internal and kept.body == "Tunnels still drop."
    after = dict(Ticket.objects.values().get(pk=ticket.pk))
    after.pop("updated_at"), before.pop("updated_at")
    assert after == before
    answer = OutboxMessage.objects.get(template="mail_reply_not_accepted")
    assert f"/tickets/{ticket.number}" in answer.body_text or ticket.number in answer.body_text
    assert answer.ticket is None


def test_auto_reply_is_ignored_and_not_answered(cast):
    ticket = sep_ticket(cast)

    record = take(
        raw_message(
            headers={
                "In-Reply-To": our_notification(ticket).message_id,
                "Auto-Submitted": "auto-replied",
            },
            body="I am out of office.",
        )
    )

    assert record.outcome == Outcome.IGNORED_LOOP
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).exists()
    assert not OutboxMessage.objects.filter(template__startswith="mail_").exists()


def test_same_message_twice_gives_one_ticket(cast):
    raw = raw_message(body=REQUEST, message_id="<same-1@customer.example>")
    relayed = b"Received: from relay2.example\r\n" + raw

    first = take(raw)
    second = take(relayed)

    assert first.outcome == Outcome.TICKET
    assert second.outcome == Outcome.DUPLICATE
    assert second.duplicate_of == first
    assert Ticket.objects.count() == 1


def test_automatic_answers_are_limited_per_address_and_hour(cast, settings):
    settings.MAIL_AUTO_ANSWERS_PER_HOUR = 2
    for index in range(4):
        take(raw_message(to="x@elsewhere.example", sender="olga@beta.example", body=str(index)))

    assert OutboxMessage.objects.filter(template="mail_policy_answer").count() == 2
    assert InboundMessage.objects.filter(outcome=Outcome.POLICY_ANSWER).count() == 4


def test_html_only_message_is_read_as_text_and_sanitized(cast):
    ticket = sep_ticket(cast)
    raw = raw_message(
        headers={"In-Reply-To": our_notification(ticket).message_id},
        body="",
        html='<p onclick="x()">Fixed <b>now</b></p><script>alert(1)</script><img src="http://10.0.0.1/">',
    )
    record = take(raw)

    assert record.outcome == Outcome.REPLY
    assert "script" not in record.html and "onclick" not in record.html and "img" not in record.html
    assert record.event is not None
    assert record.event.body.startswith("Fixed now")


def test_veritas_address_constant_matches_the_seed(cast):
    assert cast.regulation_000.channels.filter(address=VERITAS).exists()
