"""The incoming mail pages: who may see them, the sanitized HTML frame, reprocess and register
from quarantine (mapping only; the outcomes are tested in supportdesk/mail/tests)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.mail.intake import take_message
from supportdesk.mail.models import InboundMessage
from supportdesk.mail.tests.helpers import raw_message
from supportdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

REQUEST = "Product: Veritas NetBackup\nVersion: 10.4\nOS: RHEL 9\nService pack: 9.4\n\nJob fails."


@pytest.fixture
def quarantined(cast) -> InboundMessage:
    return take_message(
        raw_message(
            sender="stranger@unknown.example",
            body=REQUEST,
            html="<p>Job <b>fails</b></p><script>alert(1)</script>",
            files=[("job.log", b"status 96\n" * 20, "text/plain")],
        )
    )


def test_engineers_and_customers_may_not_see_incoming_mail(client, cast, quarantined):
    for user in (cast.engineer, cast.customer_alpha):
        client.force_login(user)
        assert client.get(reverse("workspace:mail")).status_code == 403
        url = reverse("workspace:mail_message") + f"?id={quarantined.pk}"
        assert client.get(url).status_code == 403


def test_dispatcher_sees_the_quarantine_and_the_message(client, cast, quarantined):
    client.force_login(cast.dispatcher)

    listing = client.get(reverse("workspace:mail")).content.decode()
    page = client.get(reverse("workspace:mail_message") + f"?id={quarantined.pk}").content.decode()

    assert "stranger@unknown.example" in listing
    assert "job.log" in page
    assert "<script>" not in page
    frame = client.get(reverse("workspace:mail_html") + f"?id={quarantined.pk}")
    assert "sandbox" in frame["Content-Security-Policy"]
    assert b"<script" not in frame.content and b"<b>fails</b>" in frame.content


def test_reprocess_after_the_sender_became_a_contact(client, cast, quarantined):
    user = cast.customer_alpha
    quarantined.raw = bytes(quarantined.raw).replace(
        b"stranger@unknown.example", user.email.encode()
    )
    quarantined.save()
    client.force_login(cast.dispatcher)

    response = client.post(reverse("workspace:mail_reprocess") + f"?id={quarantined.pk}")

    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.outcome == InboundMessage.Outcome.TICKET
    assert quarantined.resolved_by == cast.dispatcher


def test_register_a_request_from_quarantine(client, cast, quarantined):
    client.force_login(cast.dispatcher)
    url = reverse("workspace:mail_message") + f"?id={quarantined.pk}"

    response = client.post(
        url,
        {
            "contact_email": "ivan@alpha.example",
            "support_contact_id": "SC-1001",
            "product": cast.product_netbackup.pk,
            "version": "10.4",
            "os_version": "RHEL 9",
            "service_pack": "9.4",
            "subject": "Job fails",
            "description": "Job fails.",
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{ticket.number}/")
    assert ticket.channel == "email" and ticket.contact == cast.customer_alpha.contact
    assert ticket.attachments.get().original_name == "job.log"
    quarantined.refresh_from_db()
    assert quarantined.outcome == InboundMessage.Outcome.TICKET
    assert quarantined.reason == InboundMessage.Reason.CREATED_BY_AGENT
    # Once out of quarantine, the page offers nothing more.
    reprocess = reverse("workspace:mail_reprocess") + f"?id={quarantined.pk}"
    assert reprocess not in client.get(url).content.decode()
    assert client.post(url, {"contact_email": "ivan@alpha.example"}).status_code == 302
    assert Ticket.objects.count() == 1
