"""The phone line by the regulation's data: hours, routing, callbacks, and escalation and
reopening through the dispatcher (seed 000)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ObjectDoesNotExist

from supportdesk.calls import services
from supportdesk.calls.models import Call, CallbackRequest
from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import HotlineNumber
from supportdesk.tickets import actions
from supportdesk.tickets.actions import TicketActionError
from supportdesk.tickets.models import CloseReason, TicketEvent
from supportdesk.tickets.tests.helpers import sep_ticket

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
TUESDAY_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=MSK)
TUESDAY_21 = dt.datetime(2026, 3, 10, 21, 0, tzinfo=MSK)


@pytest.fixture
def moscow_line(cast) -> HotlineNumber:
    return HotlineNumber.objects.get(regulation=cast.regulation_000, number="+7 495 6412291")


def test_the_line_is_open_by_the_regulations_calendar(moscow_line):
    assert services.line_status(moscow_line, TUESDAY_10).open
    closed = services.line_status(moscow_line, TUESDAY_21)
    assert not closed.open
    assert closed.next_opening == dt.datetime(2026, 3, 11, 8, 0, tzinfo=MSK)


def test_a_call_goes_to_an_available_dispatcher_of_the_callers_language(cast, moscow_line):
    services.set_availability(dispatcher=cast.dispatcher, available=True, now=TUESDAY_10)

    route = services.route_call(hotline=moscow_line, language="ru", now=TUESDAY_10)

    assert route.answered
    assert route.dispatchers == [cast.dispatcher]


def test_outside_hours_or_when_away_the_regulation_offers_callback_or_the_english_dispatcher(
    cast, moscow_line
):
    services.set_availability(dispatcher=cast.dispatcher, available=False, now=TUESDAY_10)

    away = services.route_call(hotline=moscow_line, language="ru", now=TUESDAY_10)
    night = services.route_call(hotline=moscow_line, language="ru", now=TUESDAY_21)

    for route in (away, night):
        assert not route.answered
        assert route.offers_callback
        assert route.fallback_language == "en"


def test_a_callback_is_due_at_the_next_opening_plus_the_target(cast, moscow_line):
    call = services.start_call(
        dispatcher=cast.dispatcher, hotline=moscow_line, language="ru", now=TUESDAY_21
    )
    assert not call.line_open

    callback = services.request_callback(
        call=call,
        phone="+7 495 111-22-33",
        note="SEPM does not start",
        contact=cast.customer_alpha.contact,
        now=TUESDAY_21,
    )

    # 08:00 next morning plus the regulation's 120 business minutes.
    assert callback.due_at == dt.datetime(2026, 3, 11, 10, 0, tzinfo=MSK)
    call.refresh_from_db()
    assert (call.outcome, call.organization) == (Call.Outcome.CALLBACK, cast.alpha)
    assert list(services.open_callbacks()) == [callback]


def test_a_callback_not_reached_after_the_tries_e_mails_the_customer(cast, moscow_line):
    call = services.start_call(
        dispatcher=cast.dispatcher, hotline=moscow_line, language="ru", now=TUESDAY_21
    )
    callback = services.request_callback(
        call=call, phone="+7 495 111-22-33", contact=cast.customer_alpha.contact, now=TUESDAY_21
    )

    for attempt in range(3):
        callback = services.record_callback_attempt(
            callback=callback, dispatcher=cast.dispatcher, reached=False
        )
        assert OutboxMessage.objects.filter(template="callback_not_reached").count() == (
            1 if attempt == 2 else 0
        )

    assert callback.state == CallbackRequest.State.NOT_REACHED
    mail = OutboxMessage.objects.get(template="callback_not_reached")
    assert mail.recipients == ["ivan@alpha.example"]
    assert "8 800 7009983" in mail.body_text
    with pytest.raises(services.CallError):
        services.record_callback_attempt(
            callback=callback, dispatcher=cast.dispatcher, reached=True
        )


def test_a_reached_callback_records_the_registered_request(cast, moscow_line):
    call = services.start_call(dispatcher=cast.dispatcher, hotline=moscow_line, language="ru")
    callback = services.request_callback(call=call, phone="+7 495 111-22-33")
    ticket = sep_ticket(cast)

    callback = services.record_callback_attempt(
        callback=callback, dispatcher=cast.dispatcher, reached=True, ticket=ticket
    )

    assert (callback.state, callback.ticket, callback.attempts) == ("reached", ticket, 1)


def test_the_dispatcher_escalates_on_the_customers_request_by_phone(cast, moscow_line):
    ticket = sep_ticket(cast)
    call = services.start_call(dispatcher=cast.dispatcher, hotline=moscow_line, language="ru")

    services.escalate_by_phone(
        call=call, ticket=ticket, reason="significant_delay", text="No answer for two days."
    )

    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    escalation = ticket.events.get(kind=TicketEvent.Kind.ESCALATION_REQUESTED)
    assert (escalation.actor, escalation.data["channel"]) == (cast.dispatcher, "phone")
    assert OutboxMessage.objects.filter(template="escalation_requested").exists()
    call.refresh_from_db()
    assert (call.outcome, call.ticket, call.organization) == ("escalation", ticket, cast.alpha)


def test_the_dispatcher_reopens_a_closed_request_with_a_reason(cast, moscow_line):
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    actions.close_ticket(ticket=ticket, actor=None, close_reason=CloseReason.NO_RESPONSE)
    call = services.start_call(dispatcher=cast.dispatcher, hotline=moscow_line, language="ru")

    with pytest.raises(TicketActionError):
        services.reopen_by_phone(call=call, ticket=ticket, reason=" ")
    services.reopen_by_phone(call=call, ticket=ticket, reason="The problem is back.")

    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    reopened = ticket.events.filter(kind=TicketEvent.Kind.STATE_CHANGED).latest("id")
    assert (reopened.actor, reopened.data["channel"]) == (cast.dispatcher, "phone")
    assert Call.objects.get().outcome == "reopen"


def test_a_customer_cannot_act_as_the_dispatcher(cast, moscow_line):
    ticket = sep_ticket(cast)
    call = Call.objects.create(
        received_at=TUESDAY_10, dispatcher=cast.customer_beta, hotline=moscow_line, language="ru"
    )

    with pytest.raises(TicketActionError):
        services.escalate_by_phone(call=call, ticket=ticket, reason="other", text="x")
    call.refresh_from_db()
    assert call.outcome == "in_progress"
    with pytest.raises(ObjectDoesNotExist):
        CallbackRequest.objects.get()


def test_consumer_lines_come_from_the_regulation(cast):
    numbers = [line.number for line in services.consumer_lines()]
    assert numbers == ["8 10 800 21221044", "+7 499 272 2059"]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TUESDAY_10, tick=False):
        yield
