"""Tickets for tests, and checks that read what an action wrote (events, e-mails, no change)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel, DiagnosticsItem
from supportdesk.tickets.actions import TicketActionError
from supportdesk.tickets.models import PriorityProposal, Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow
LATER = NOW + datetime.timedelta(hours=1)
MARKER = "INTERNAL-7f3a-do-not-leak"


def sep_ticket(cast, **overrides) -> Ticket:
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
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields))


def confirmed_checklist(cast) -> tuple[int, ...]:
    """Every item of regulation 002's primary diagnostics checklist, as the customer confirms
    them before registering."""
    items = DiagnosticsItem.objects.filter(regulation=cast.regulation_002).order_by("order", "id")
    return tuple(items.values_list("pk", flat=True))


def ngfw_ticket(cast, license_key="UGNGFW-7A1C-92F0-4D1B", **overrides) -> Ticket:
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_beta,
        "contact": cast.customer_beta.contact,
        "license_key": license_key,
        "diagnostics_confirmed": confirmed_checklist(cast),
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": "p2",
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields))


def log_file(name="vpn.log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"2026-11-23 12:00:01 ERROR tunnel 3 down\n" * 20)


def config_file(name="ngfw.conf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"[vpn]\nmtu = 1400\nkeepalive = 30\n")


def snapshot(ticket: Ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.state,
        fresh.close_reason,
        fresh.owner_id,
        fresh.priority_id,
        fresh.escalation_level,
        fresh.work_method_id,
        TicketEvent.objects.count(),
        OutboxMessage.objects.count(),
        PriorityProposal.objects.filter(state="pending").count(),
    )


def refused(ticket: Ticket, call, code: str, status: int) -> TicketActionError:
    """The action raises with ``code`` / ``status`` and changes nothing."""
    before = snapshot(ticket)
    with pytest.raises(TicketActionError) as info:
        call()
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    assert snapshot(ticket) == before
    return info.value


def mails(ticket: Ticket, since: int = 0) -> list[tuple[str, list[str], str]]:
    return [
        (m.template, m.recipients, m.language)
        for m in OutboxMessage.objects.filter(ticket=ticket, pk__gt=since).order_by("id")
    ]


def last_mail_id() -> int:
    return OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


def kinds(ticket: Ticket, since: int = 0) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, pk__gt=since)
        .order_by("id")
        .values_list("kind", flat=True)
    )
