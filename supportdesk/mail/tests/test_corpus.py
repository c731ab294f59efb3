"""Every message of the hostile corpus through ``supportdesk intake_mail``: exit status 0, one
recorded outcome each, none dropped, and the expected outcome where there is one."""

from __future__ import annotations

from email import message_from_bytes

import pytest
import time_machine

from supportdesk.mail.models import InboundMessage, Mailbox
from supportdesk.mail.tests.corpus import USERGATE, Threads, build_corpus
from supportdesk.mail.tests.test_intake_mail_command import run
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.relay import build_email
from supportdesk.outbox.tokens import reply_address_for
from supportdesk.tickets.tests.helpers import NOW, ngfw_ticket, sep_ticket


def latest_notification(ticket) -> OutboxMessage:
    return OutboxMessage.objects.filter(ticket=ticket).order_by("-id")[0]


@pytest.mark.django_db
def test_every_corpus_message_is_taken_and_recorded(cast, settings):
    settings.MAIL_AUTO_ANSWERS_PER_HOUR = 3
    Mailbox.objects.create(
        name="UserGate", address=USERGATE, regulation=cast.regulation_002, host="127.0.0.1"
    )
    with time_machine.travel(NOW, tick=False):
        ticket_000, ticket_002 = sep_ticket(cast), ngfw_ticket(cast)
        threads = Threads(
            message_id_000=latest_notification(ticket_000).message_id,
            reply_to_000=reply_address_for(ticket_000.number, "support@localhost"),
            number_000=ticket_000.number,
            message_id_002=latest_notification(ticket_002).message_id,
            number_002=ticket_002.number,
        )
        corpus = build_corpus(threads, oversized_bytes=settings.MAIL_MAX_MESSAGE_BYTES + 1)
        assert len(corpus) >= 60
        wrong = []
        for name, raw, expected in corpus:
            before = InboundMessage.objects.count()
            assert run(raw) == 0, name
            assert InboundMessage.objects.count() == before + 1, f"{name}: not recorded"
            record = InboundMessage.objects.latest("id")
            if record.outcome != InboundMessage.Outcome.DUPLICATE:
                assert bytes(record.raw) == raw, name
            if expected is not None and record.outcome != expected:
                wrong.append((name, expected, record.outcome, record.reason, record.detail))
        assert wrong == [], "\n".join(map(str, wrong))

    # No automatic answer carries an injected header, and the loop stopped at the limit.
    answers = OutboxMessage.objects.filter(template__startswith="mail_")
    for row in answers:
        email = build_email(row).message()
        reparsed = message_from_bytes(email.as_bytes())
        assert {"bcc", "x-evil"}.isdisjoint(name.lower() for name, _value in reparsed.items())
        assert reparsed["To"] == row.recipients[0]
        assert email["Auto-Submitted"] == "auto-replied"
    loop = answers.filter(recipients=["helpdesk@other-desk.example"])
    assert loop.count() == 3
    assert not any(
        "daemon" in row.recipients[0] or "postmaster" in row.recipients[0] for row in answers
    )
