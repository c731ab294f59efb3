"""Shared by the portal and workspace action tests: tickets of both regulations, a real PNG, and
a snapshot of everything an action may change."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.models import (
    Attachment,
    Escalation,
    PriorityProposal,
    Ticket,
    TicketEvent,
)
from supportdesk.tickets.tests import helpers as tickets_helpers


def sep_ticket(cast, user=None, **overrides) -> Ticket:
    """Regulation 000: Symantec Endpoint Protection under alpha's Essential contract, opened by
    ``user`` (Ivan by default)."""
    user = user or cast.customer_alpha
    contact = user.contact
    return tickets_helpers.sep_ticket(
        cast,
        requested_by=user,
        contact=contact,
        support_contact_id=contact.support_contact_id,
        **overrides,
    )


def ngfw_ticket(cast, license_key="UGNGFW-7A1C-92F0-4D1B", **overrides) -> Ticket:
    """Regulation 002: UserGate NGFW under beta's Premium (or Standard) contract."""
    return tickets_helpers.ngfw_ticket(
        cast, license_key, **{"subject": "VPN tunnels drop", **overrides}
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_file(name: str = "screenshot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def snapshot(ticket: Ticket) -> tuple:
    """Everything an action may change; equal before and after means nothing changed."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.state,
        fresh.close_reason,
        fresh.owner_id,
        fresh.priority_id,
        fresh.escalation_level,
        fresh.work_method_id,
        fresh.merged_into_id,
        TicketEvent.objects.count(),
        OutboxMessage.objects.count(),
        Ticket.objects.count(),
        Attachment.objects.count(),
        Escalation.objects.count(),
        list(PriorityProposal.objects.values_list("pk", "state")),
    )


def refresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# Written by the SLA app beside every change; not what these flows are about.
SLA_KINDS = (
    TicketEvent.Kind.DEADLINES_CHANGED,
    TicketEvent.Kind.SLA_WARNING,
    TicketEvent.Kind.SLA_BREACH,
)


def flow_events(ticket: Ticket):
    """The ticket's events in order, without the SLA app's bookkeeping."""
    return TicketEvent.objects.filter(ticket=ticket).exclude(kind__in=SLA_KINDS).order_by("id")


def everybody_reads_english() -> None:
    """The middleware activates each user's own language; the asserted messages are English."""
    from supportdesk.accounts.models import User

    User.objects.update(language="en")
