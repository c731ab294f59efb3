"""Reserved values and repeats: system-only close reasons, one pending escalation, a registration
sent twice registers once, refusal notices to the account manager at most once an hour."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tests_security.conftest import bearer
from supportdesk.tests_security.test_reserved_fields import SEP_FORM
from supportdesk.tickets import actions
from supportdesk.tickets.models import CloseReason, Escalation, RefusedRegistration, Ticket
from supportdesk.tickets.registration import RegistrationRefused
from supportdesk.tickets.tests.helpers import NOW, refused, sep_ticket


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- Close reasons reserved for the system --------------------------------------------------


def test_no_user_closes_with_a_system_reason(cast, frozen):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    for who in (cast.engineer, cast.manager, cast.administrator):
        refused(
            ticket,
            lambda who=who: actions.close_ticket(
                ticket=ticket, actor=who, close_reason=CloseReason.NO_RESPONSE, reason="Silent."
            ),
            "invalid",
            422,
        )
    client = Client()
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/close",
        {"close_reason": "no_response", "reason": "Silent."},
        content_type="application/json",
        **bearer(cast.engineer),
    )
    assert response.status_code == 422
    assert response.json()["fields"] == ["close_reason"]
    # The regulation's sweep still closes for silence.
    ticket = actions.close_ticket(ticket=ticket, actor=None, close_reason="no_response")
    assert ticket.close_reason == CloseReason.NO_RESPONSE


# --- One pending escalation -------------------------------------------------------------------


def test_an_escalation_waits_for_supports_answer(cast, frozen):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    ticket = actions.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="significant_delay"
    )
    mails = OutboxMessage.objects.count()
    for _ in range(5):
        refused(
            ticket,
            lambda: actions.request_escalation(
                ticket=ticket, actor=cast.customer_alpha, reason="significant_delay"
            ),
            "escalation_pending",
            409,
        )
    assert OutboxMessage.objects.count() == mails
    # An internal note is no answer; a public reply is.
    actions.add_internal_note(ticket=ticket, actor=cast.engineer, body="Check the logs.")
    assert Escalation.objects.get().answered_at is None
    actions.add_public_reply(ticket=ticket, actor=cast.engineer, body="Checking the logs.")
    assert Escalation.objects.get().answered_at == NOW
    ticket = actions.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="incorrect_answers"
    )
    assert ticket.escalation_level == 2


def test_the_database_holds_one_pending_escalation(cast, frozen):
    ticket = sep_ticket(cast)
    Escalation.objects.create(
        ticket=ticket, requested_by=cast.customer_alpha, reason="other", level=1, created_at=NOW
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            ticket=ticket, requested_by=cast.customer_alpha, reason="other", level=2, created_at=NOW
        )


def test_the_api_refuses_a_second_escalation(cast, frozen):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    client, headers = Client(), bearer(cast.customer_alpha)
    url = f"/api/v1/tickets/{ticket.number}/escalate"
    answers = [
        client.post(
            url, {"reason": "significant_delay"}, content_type="application/json", **headers
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 409, 409]
    assert answers[1].json()["code"] == "escalation_pending"
    assert Escalation.objects.count() == 1


# --- A registration sent twice ----------------------------------------------------------------


def portal_form(cast, key: str) -> dict:
    return {
        **SEP_FORM,
        "contract": str(cast.contract_alpha.pk),
        "product": str(cast.product_sep.pk),
        "idempotency_key": key,
    }


def test_the_portal_form_sent_three_times_registers_once(cast, frozen):
    client = Client()
    client.force_login(cast.customer_alpha)
    page = client.get(f"/tickets/new/?contract={cast.contract_alpha.pk}")
    assert 'name="idempotency_key"' in page.text
    answers = [client.post("/tickets/new/", portal_form(cast, "form-key-1")) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.filter(template="ticket_registered").count() == 1
    # Another form (another key) is another request.
    assert client.post("/tickets/new/", portal_form(cast, "form-key-2")).status_code == 302
    assert Ticket.objects.count() == 2


def test_the_dispatcher_form_carries_a_key(cast, frozen):
    client = Client()
    client.force_login(cast.dispatcher)
    page = client.get(f"/workspace/dispatch/?org={cast.alpha.pk}")
    assert 'name="idempotency_key"' in page.text


def test_the_api_idempotency_key(cast, frozen):
    client = Client()
    payload = {**SEP_FORM, "product": cast.product_sep.code}

    def register(user, key: str | None):
        headers = {**bearer(user), **({"HTTP_IDEMPOTENCY_KEY": key} if key else {})}
        data = {**payload, "support_contact_id": user.contact.support_contact_id}
        return client.post("/api/v1/tickets", data, content_type="application/json", **headers)

    first = register(cast.customer_alpha, "3f2c9a1e-retry")
    again = register(cast.customer_alpha, "3f2c9a1e-retry")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Ticket.objects.count() == 1
    # The same key of another user, or no key, registers a new ticket.
    assert register(cast.colleague_alpha, "3f2c9a1e-retry").status_code == 201
    assert register(cast.customer_alpha, None).status_code == 201
    assert Ticket.objects.count() == 3
    bad = register(cast.customer_alpha, "not a key!")
    assert bad.status_code == 422 and bad.json()["fields"] == ["Idempotency-Key"]


# --- Refusal notices --------------------------------------------------------------------------


def test_refusal_notices_are_at_most_one_an_hour_per_organization(cast, frozen):
    # Sales hears of leads only (a product the contract does not cover), not of form mistakes.
    with pytest.raises(RegistrationRefused):
        sep_ticket(cast, support_id="SYM-000000")
    assert not OutboxMessage.objects.filter(template="registration_refused").exists()
    RefusedRegistration.objects.all().delete()
    for _ in range(20):
        with pytest.raises(RegistrationRefused):
            sep_ticket(cast, product=cast.product_ngfw)
    assert set(RefusedRegistration.objects.values_list("reason", flat=True)) == {
        "product_not_covered"
    }
    assert RefusedRegistration.objects.count() == 20
    notices = OutboxMessage.objects.filter(template="registration_refused")
    assert notices.count() == 1
    frozen.shift(dt.timedelta(minutes=61))
    with pytest.raises(RegistrationRefused):
        sep_ticket(cast, product=cast.product_ngfw)
    assert notices.count() == 2
    digest = notices.order_by("-id").first()
    assert digest is not None and "19" in digest.body_text
    assert RefusedRegistration.objects.filter(manager_notified=True).count() == 2
