"""E-mails carry what people typed: the subject and the text part as typed (on one line for the
subject: no header injection), the HTML part escaped. Links start with SITE_URL, allauth's too."""

from __future__ import annotations

import html

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.relay import deliver_due
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.tests.helpers import NOW, sep_ticket

TYPED = 'Q&A: "quotes" and <tags> won\'t'
ESCAPED = ("&amp;", "&quot;", "&lt;", "&gt;", "&#x27;", "&#39;")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_every_typed_field_arrives_as_typed(cast, frozen):
    for user in (cast.customer_alpha, cast.engineer):
        user.first_name, user.last_name = "O'Brien", "& <Sons>"
        user.save()
    ticket = sep_ticket(cast, subject=TYPED, version=f"14.3 {TYPED}", description=TYPED)
    actions.assign_ticket(
        ticket=ticket, actor=cast.manager, assignee=cast.engineer, reason=f"Reason {TYPED}"
    )
    actions.add_public_reply(ticket=ticket, actor=cast.engineer, body=f"Reply {TYPED}")
    actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs", text=f"Item {TYPED}")],
        message=f"Message {TYPED}",
    )
    actions.add_customer_reply(ticket=ticket, actor=cast.customer_alpha, body=f"Logs {TYPED}")
    actions.propose_solution(ticket=ticket, actor=cast.engineer, body=f"Solution {TYPED}")

    messages = list(OutboxMessage.objects.order_by("id"))
    assert {m.template for m in messages} >= {
        "ticket_registered",
        "ticket_assigned",
        "ticket_reply",
        "diagnostics_requested",
        "ticket_customer_activity",
        "solution_proposed",
    }
    for message in messages:
        for part in (message.subject, message.body_text):
            assert not any(entity in part for entity in ESCAPED), (message.template, part)
        assert "<tags>" not in message.body_html, message.template
    by_template = {m.template: m for m in messages}
    registered = by_template["ticket_registered"]
    assert TYPED in registered.subject and TYPED in registered.body_text
    assert html.escape(TYPED) in registered.body_html
    assert f"Reply {TYPED}" in by_template["ticket_reply"].body_text
    assert f"Item {TYPED}" in by_template["diagnostics_requested"].body_text
    assert f"Message {TYPED}" in by_template["diagnostics_requested"].body_text
    assert f"Logs {TYPED}" in by_template["ticket_customer_activity"].body_text
    assert f"Solution {TYPED}" in by_template["solution_proposed"].body_text
    assert f"Reason {TYPED}" in by_template["ticket_assigned"].body_text

    # Delivered, the Subject header and the text part are the same text.
    deliver_due()
    sent = {m.subject: m for m in mail.outbox}
    delivered = sent[registered.subject]
    assert isinstance(delivered, EmailMultiAlternatives)
    assert delivered.subject == registered.subject
    assert TYPED in delivered.body
    assert html.escape(TYPED) in str(delivered.alternatives[0][0])


def test_a_subject_stays_one_header_and_fits_its_column(cast, frozen):
    ticket = sep_ticket(cast, subject=("'\"&" * 60) + "\r\nBcc: victim@example.com")
    message = OutboxMessage.objects.get(ticket=ticket, template="ticket_registered")
    assert "\n" not in message.subject and "\r" not in message.subject
    assert len(message.subject) <= 300
    deliver_due()
    assert mail.outbox[0].recipients() == [cast.customer_alpha.email]
    assert "victim@example.com" not in mail.outbox[0].recipients()


def test_allauth_links_start_with_site_url(cast, settings):
    settings.SITE_URL = "https://support.example.com"
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post("/accounts/password/reset/", {"email": cast.customer_alpha.email})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(template="password_reset_key")
    assert "https://support.example.com/accounts/password/reset/key/" in message.body_text
    assert "://127.0.0.1" not in message.body_text + message.body_html
    assert not any(entity in message.subject for entity in ESCAPED)
