"""The dispatcher's phone line as the regulation defines it: whether a line is open now (its
calendar), who answers (a dispatcher of the caller's language who is available, else the
regulation's menu: a callback request or the other language's dispatcher), and what a call
ends with. Escalation and reopening by phone go through the same ticket actions as everywhere,
with the dispatcher as actor and the phone as channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from businesstime import add_business_minutes, is_working_time, next_opening
from supportdesk import access
from supportdesk.accounts.models import Agent, Contact, Organization, User
from supportdesk.calls.models import Call, CallbackRequest, DispatcherPresence
from supportdesk.catalog.models import ProductLine
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import BusinessCalendar, HotlineNumber, LanguageRoute
from supportdesk.sla.clock import working_calendar
from supportdesk.tickets import actions
from supportdesk.tickets.actions import TicketActionError
from supportdesk.tickets.models import Ticket

Outcome = Call.Outcome


class CallError(Exception):
    """A call step that may not proceed; ``message`` says why."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- Hours and routing ----------------------------------------------------------------------


def line_calendar(hotline: HotlineNumber) -> BusinessCalendar:
    """The line's own calendar, else its regulation's (seed 000: 08:00–20:00 MSK)."""
    return hotline.calendar or hotline.regulation.calendar


@dataclass(frozen=True)
class LineStatus:
    open: bool
    next_opening: dt.datetime | None
    calendar: BusinessCalendar


def line_status(hotline: HotlineNumber, now: dt.datetime) -> LineStatus:
    calendar = line_calendar(hotline)
    compiled = working_calendar(calendar)
    is_open = is_working_time(compiled, now)
    return LineStatus(is_open, None if is_open else next_opening(compiled, now), calendar)


def available_dispatchers(language: str) -> QuerySet[User]:
    """Dispatchers of ``language`` who marked themselves available."""
    return User.objects.filter(
        agent__role=Agent.Role.DISPATCHER,
        is_active=True,
        language=language,
        dispatcher_presence__available=True,
    ).order_by("last_name", "email")


@dataclass(frozen=True)
class Route:
    """Who takes a call on ``line`` in ``language`` now, by the regulation's routing."""

    status: LineStatus
    consumer: bool
    dispatchers: list[User]
    offers_callback: bool
    fallback_language: str = ""
    fallback_dispatchers: list[User] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """A dispatcher of the caller's language takes the call."""
        return not self.consumer and self.status.open and bool(self.dispatchers)


def route_call(*, hotline: HotlineNumber, language: str, now: dt.datetime) -> Route:
    status = line_status(hotline, now)
    consumer = bool(hotline.product_line and hotline.product_line.is_consumer)
    dispatchers = list(available_dispatchers(language))
    route = (
        LanguageRoute.objects.filter(regulation_id=hotline.regulation_id, language=language)
        .select_related("fallback_team")
        .first()
    )
    outside = route.outside_hours if route else LanguageRoute.OutsideHours.CALLBACK
    offers_callback = outside in (
        LanguageRoute.OutsideHours.CALLBACK,
        LanguageRoute.OutsideHours.CALLBACK_OR_OTHER_TEAM,
    )
    fallback_language = ""
    if outside != LanguageRoute.OutsideHours.CALLBACK and route and route.fallback_team:
        fallback = LanguageRoute.objects.filter(
            regulation_id=hotline.regulation_id, team=route.fallback_team
        ).first()
        fallback_language = fallback.language if fallback else ""
    return Route(
        status=status,
        consumer=consumer,
        dispatchers=dispatchers,
        offers_callback=offers_callback,
        fallback_language=fallback_language,
        fallback_dispatchers=(
            list(available_dispatchers(fallback_language)) if fallback_language else []
        ),
    )


def consumer_lines() -> QuerySet[HotlineNumber]:
    """The separate free consumer line's numbers (seed 000: Norton), from the regulations."""
    return HotlineNumber.objects.filter(product_line__is_consumer=True).order_by("order", "id")


# --- Availability ---------------------------------------------------------------------------


def set_availability(
    *, dispatcher: User, available: bool, now: dt.datetime | None = None
) -> DispatcherPresence:
    presence, _created = DispatcherPresence.objects.update_or_create(
        dispatcher=dispatcher,
        defaults={"available": available, "changed_at": now or timezone.now()},
    )
    return presence


def is_available(dispatcher: User) -> bool:
    return DispatcherPresence.objects.filter(dispatcher=dispatcher, available=True).exists()


# --- Calls ----------------------------------------------------------------------------------


def start_call(
    *,
    dispatcher: User,
    hotline: HotlineNumber,
    language: str,
    ivr_branch: ProductLine | None = None,
    caller_phone: str = "",
    now: dt.datetime | None = None,
) -> Call:
    """Record an inbound call as it is answered: the line, the IVR choice, the language."""
    now = now or timezone.now()
    return Call.objects.create(
        received_at=now,
        dispatcher=dispatcher,
        hotline=hotline,
        ivr_branch=ivr_branch,
        line_open=line_status(hotline, now).open,
        caller_phone=caller_phone.strip(),
        language=language,
    )


def finish_call(
    *,
    call: Call,
    outcome: str,
    ticket: Ticket | None = None,
    organization: Organization | None = None,
    contact: Contact | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Call:
    """What the call ended with (registered N, callback, consumer line, escalation, reopen,
    information only); the caller and the organization when they became known."""
    call.outcome = outcome
    call.ticket = ticket or call.ticket
    call.contact = contact or (ticket.contact if ticket else None) or call.contact
    call.organization = (
        organization
        or (ticket.organization if ticket else None)
        or (call.contact.organization if call.contact else None)
        or call.organization
    )
    call.note = note.strip() or call.note
    call.ended_at = now or timezone.now()
    call.save(update_fields=["outcome", "ticket", "contact", "organization", "note", "ended_at"])
    return call


def escalate_by_phone(
    *,
    call: Call,
    ticket: Ticket,
    reason: str,
    text: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """The customer asks the dispatcher to escalate (seed 000: "by calling the dispatcher
    again"): the same escalation as on the portal, by the dispatcher, by phone."""
    with transaction.atomic():
        ticket = actions.request_escalation(
            ticket=ticket, actor=call.dispatcher, reason=reason, text=text, channel="phone", now=now
        )
        finish_call(call=call, outcome=Outcome.ESCALATION, ticket=ticket, note=text, now=now)
    return ticket


def reopen_by_phone(
    *, call: Call, ticket: Ticket, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """Seed 000: a closed request is reopened only through the dispatcher, with a reason."""
    with transaction.atomic():
        ticket = actions.reopen_ticket(
            ticket=ticket, actor=call.dispatcher, reason=reason, channel="phone", now=now
        )
        finish_call(call=call, outcome=Outcome.REOPEN, ticket=ticket, note=reason, now=now)
    return ticket


# --- Callbacks ------------------------------------------------------------------------------


def request_callback(
    *,
    call: Call,
    phone: str,
    note: str = "",
    contact: Contact | None = None,
    now: dt.datetime | None = None,
) -> CallbackRequest:
    """The caller asks to be called back (voicemail outside the hours, or nobody of their
    language free): due at the line's next opening plus the regulation's target."""
    now = now or timezone.now()
    phone = phone.strip() or call.caller_phone
    if not phone:
        raise CallError(_("Give the number to call back."), field="phone")
    if call.hotline is None:
        raise CallError(_("Choose the line the caller dialled."), field="hotline")
    regulation = call.hotline.regulation
    compiled = working_calendar(line_calendar(call.hotline))
    due = add_business_minutes(compiled, now, regulation.callback_minutes)
    assert due is not None  # no pauses
    contact = contact or call.contact
    with transaction.atomic():
        callback = CallbackRequest.objects.create(
            call=call,
            regulation=regulation,
            organization=contact.organization if contact else call.organization,
            contact=contact,
            phone=phone,
            language=call.language,
            note=note.strip(),
            created_at=now,
            due_at=due,
        )
        finish_call(call=call, outcome=Outcome.CALLBACK, contact=contact, note=note, now=now)
    return callback


def open_callbacks() -> QuerySet[CallbackRequest]:
    """The dispatchers' queue: open callbacks, the nearest deadline first."""
    return (
        CallbackRequest.objects.filter(state=CallbackRequest.State.OPEN)
        .select_related("contact__user", "organization", "regulation")
        .order_by("due_at", "id")
    )


def record_callback_attempt(
    *,
    callback: CallbackRequest,
    dispatcher: User,
    reached: bool,
    ticket: Ticket | None = None,
    result: str = "",
    now: dt.datetime | None = None,
) -> CallbackRequest:
    """One try to call back. Reached: closed, with the request registered or the question
    answered. Not reached after the regulation's number of tries: closed, and the customer is
    told by e-mail how to reach support."""
    now = now or timezone.now()
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().get(pk=callback.pk)
        if callback.state != CallbackRequest.State.OPEN:
            raise CallError(_("This callback is already closed."))
        callback.attempts += 1
        callback.last_attempt_at = now
        callback.result = result.strip() or callback.result
        if reached:
            callback.state = CallbackRequest.State.REACHED
            callback.ticket = ticket
            callback.closed_at = now
        elif callback.attempts >= callback.regulation.callback_attempts:
            callback.state = CallbackRequest.State.NOT_REACHED
            callback.closed_at = now
            _tell_not_reached(callback)
        callback.save()
    return callback


def _tell_not_reached(callback: CallbackRequest) -> None:
    contact = callback.contact
    if contact is None or not contact.user.email:
        return
    hotlines = HotlineNumber.objects.filter(
        regulation=callback.regulation, product_line__isnull=True
    ).order_by("order", "id")
    enqueue_email(
        template="callback_not_reached",
        recipients=[contact.user.email],
        language=contact.user.language,
        context={"callback": callback, "hotlines": list(hotlines)},
    )


def ticket_for_call(dispatcher: User, number: str) -> Ticket:
    """A ticket the dispatcher names by its number, through the one visibility filter."""
    ticket = access.visible_tickets(dispatcher).filter(number=number.strip().upper()).first()
    if ticket is None:
        raise TicketActionError(
            "not_found",
            _("There is no request %(number)s.") % {"number": number},
            status=404,
            fields=["number"],
        )
    return ticket
