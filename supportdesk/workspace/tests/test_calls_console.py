"""The dispatcher console's calls, through the views: answer, register, consumer line,
callback, escalation and reopening; and what customers see of the phone line."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from supportdesk.calls import services
from supportdesk.calls.models import Call, CallbackRequest
from supportdesk.regulations.models import HotlineNumber
from supportdesk.tickets import actions
from supportdesk.tickets.models import CloseReason, Ticket
from supportdesk.tickets.tests.helpers import sep_ticket

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=MSK)
DISPATCH = reverse("workspace:dispatch")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def answer(client, cast, **overrides) -> Call:
    line = HotlineNumber.objects.get(regulation=cast.regulation_000, number="8 800 7009983")
    data = {"hotline": line.pk, "language": "ru", "caller_phone": "+7 495 111-22-33"}
    data.update(overrides)
    response = client.post(reverse("workspace:call_start"), data)
    call = Call.objects.latest("id")
    assert response.status_code == 302 and f"call={call.pk}" in response.url
    return call


def test_a_call_answered_and_registered_records_its_outcome(client, cast):
    client.force_login(cast.dispatcher)
    call = answer(client, cast)
    page = client.get(DISPATCH, {"call": call.pk, "q": "+7 495 111-22-33"})
    assert page.context["call_panel"]["route"].status.open
    assert "Линия сейчас открыта" in page.content.decode()

    response = client.post(
        DISPATCH,
        {
            "call": call.pk,
            "organization": cast.alpha.pk,
            "contact": cast.customer_alpha.contact.pk,
            "support_contact_id": "SC-1001",
            "product": cast.product_sep.pk,
            "version": "14.3 RU8",
            "os_version": "Windows Server 2019",
            "service_pack": "CU 2024-01",
            "description": "SEPM does not start.",
        },
    )

    assert response.status_code == 302
    call.refresh_from_db()
    ticket = Ticket.objects.get()
    assert (call.outcome, call.ticket, call.organization) == ("registered", ticket, cast.alpha)
    assert call.line_open and call.caller_phone == "+7 495 111-22-33"


def test_the_consumer_branch_gives_the_numbers_and_registers_nothing(client, cast):
    client.force_login(cast.dispatcher)
    call = answer(client, cast, ivr_branch=cast.product_norton.line_id)

    page = client.get(DISPATCH, {"call": call.pk}).content.decode()
    assert "8 10 800 21221044" in page and "+7 499 272 2059" in page
    client.post(reverse("workspace:call_finish", args=[call.pk]), {"outcome": "consumer_line"})

    call.refresh_from_db()
    assert call.outcome == "consumer_line" and call.ivr_branch == cast.product_norton.line
    assert Ticket.objects.count() == 0


def test_a_callback_left_by_phone_is_queued_and_shown_to_the_customer(client, cast):
    client.force_login(cast.dispatcher)
    call = answer(client, cast)
    client.post(
        reverse("workspace:call_callback", args=[call.pk]),
        {"phone": "+7 495 111-22-33", "note": "Call me after lunch", "contact": ""},
    )
    callback = CallbackRequest.objects.get()
    callback.contact = cast.customer_alpha.contact
    callback.save(update_fields=["contact"])
    assert client.get(reverse("workspace:callbacks")).context["callbacks"] == [callback]

    client.post(
        reverse("workspace:callback_attempt", args=[callback.pk]), {"reached": "0", "result": ""}
    )
    callback.refresh_from_db()
    assert (callback.attempts, callback.state) == (1, "open")

    client.force_login(cast.customer_alpha)
    listed = client.get(reverse("ticket_list"))
    assert listed.context["callbacks"] == [callback]
    assert "+7 495 111-22-33" in listed.content.decode()


def test_escalation_and_reopening_through_the_console(client, cast):
    ticket = sep_ticket(cast)
    closed = sep_ticket(cast, subject="Old problem")
    actions.take_ticket(ticket=closed, actor=cast.engineer)
    actions.close_ticket(ticket=closed, actor=None, close_reason=CloseReason.NO_RESPONSE)
    client.force_login(cast.dispatcher)
    call = answer(client, cast)
    card = client.get(DISPATCH, {"call": call.pk, "org": cast.alpha.pk}).context["card"]
    assert card["open_tickets"] == [ticket] and card["closed_tickets"] == [closed]

    escalated = client.post(
        reverse("workspace:call_escalate", args=[call.pk]),
        {"number": ticket.number, "reason": "significant_delay", "text": "Two days, no answer"},
    )
    assert escalated.status_code == 302
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1

    second = answer(client, cast)
    client.post(
        reverse("workspace:call_reopen", args=[second.pk]),
        {"number": closed.number, "reason": "It fails again."},
    )
    closed.refresh_from_db()
    assert closed.state == "in_progress"
    assert list(Call.objects.order_by("id").values_list("outcome", flat=True)) == [
        "escalation",
        "reopen",
    ]


def test_availability_is_the_dispatchers_own_switch(client, cast):
    client.force_login(cast.dispatcher)
    client.post(reverse("workspace:availability"), {"available": "1"})
    assert services.is_available(cast.dispatcher)
    client.post(reverse("workspace:availability"), {"available": "0"})
    assert not services.is_available(cast.dispatcher)


@pytest.mark.parametrize("name", ["call_start", "callbacks", "availability"])
def test_customers_and_engineers_have_no_call_pages(client, cast, name):
    for user in (cast.customer_alpha, cast.engineer):
        client.force_login(user)
        assert client.post(reverse(f"workspace:{name}")).status_code == 403


def test_the_consumer_line_is_on_the_sign_in_contracts_and_new_request_pages(client, cast):
    assert "8 10 800 21221044" in client.get("/accounts/login/").content.decode()
    client.force_login(cast.customer_alpha)
    for url in (reverse("contracts"), reverse("ticket_new")):
        assert "+7 499 272 2059" in client.get(url).content.decode(), url


def test_a_closed_request_tells_the_customer_to_call_the_dispatcher(client, cast):
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    actions.close_ticket(ticket=ticket, actor=None, close_reason=CloseReason.NO_RESPONSE)
    client.force_login(cast.customer_alpha)

    page = client.get(reverse("ticket_detail", args=[ticket.number]))

    assert [line.number for line in page.context["reopen_hotlines"]][:2] == [
        "8 800 7009983",
        "+7 495 6412291",
    ]
    assert "только через диспетчера" in page.content.decode()
