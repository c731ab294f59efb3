"""Shared helpers of the SLA tests: Moscow wall-clock instants and tickets of both regulations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket
from supportdesk.tickets.tests.helpers import confirmed_checklist

MSK = ZoneInfo("Europe/Moscow")
UTC = dt.UTC


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MSK)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def sep_ticket(cast, *, now: dt.datetime, priority: str = "", **overrides) -> Ticket:
    """Regulation 000, contract alpha (Essential), Symantec Endpoint Protection."""
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_alpha,
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "subject": "Clients do not receive definitions",
        "description": "Since Monday clients show old definitions.",
        "priority_code": priority,
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields), now=now)


def ngfw_ticket(cast, *, now: dt.datetime, priority: str = "p2", **overrides) -> Ticket:
    """Regulation 002, contract beta (Premium), UserGate NGFW."""
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_beta,
        "contact": cast.customer_beta.contact,
        "license_key": "UGNGFW-7A1C-92F0-4D1B",
        "diagnostics_confirmed": confirmed_checklist(cast),
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": priority,
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields), now=now)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def events(ticket: Ticket, *kinds: str) -> list[TicketEvent]:
    qs = TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "id")
    return list(qs.filter(kind__in=kinds) if kinds else qs)


def mails(ticket: Ticket, *templates: str) -> list[tuple[str, list[str], str]]:
    qs = OutboxMessage.objects.filter(ticket=ticket).order_by("id")
    if templates:
        qs = qs.filter(template__in=templates)
    return [(m.template, m.recipients, m.language) for m in qs]
