"""Shared by the security tests: organization alpha's ticket with everything a ticket can carry,
a ticket of beta, API tokens, and a snapshot of everything an action may change."""

from __future__ import annotations

import copy
import datetime
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings

from supportdesk.accounts.models import User
from supportdesk.api.models import ApiToken
from supportdesk.api.services import create_api_token
from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import (
    Attachment,
    DiagnosticsRequest,
    Escalation,
    PriorityProposal,
    RefusedRegistration,
    Ticket,
    TicketEvent,
)
from supportdesk.tickets.registration import RegistrationRequest, register_ticket
from supportdesk.tickets.tests.helpers import confirmed_checklist

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # a Monday, business hours

# Unique texts: finding one in a response means the response carries alpha's ticket.
SUBJECT = "Alpha subject SUBJ-3b9e"
DESCRIPTION = "Alpha description DESC-5d2a"
PUBLIC_REPLY = "Public reply PUB-91ab"
INTERNAL_MARKER = "INTERNAL-MARKER-7c1f"
PUBLIC_FILE = "alpha-public-e41d.png"
INTERNAL_FILE = "alpha-internal-0f3c.png"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@dataclass(frozen=True)
class AlphaWorld:
    """Alpha's ticket of ivan, owned by the engineer, waiting for the customer's diagnostics,
    with a public reply and an internal note (each with a file) and ivan's pending priority
    proposal; beside it beta's own ticket and one of ivan's colleague petr (the pages of which
    must not mention ivan's ticket: "other tickets" sidebars)."""

    ticket: Ticket
    public_attachment: Attachment
    internal_attachment: Attachment
    proposal: PriorityProposal
    diagnostics_request: DiagnosticsRequest
    beta_ticket: Ticket
    colleague_ticket: Ticket
    ivan_token: ApiToken

    @property
    def ticket_markers(self) -> dict[str, str]:
        """What identifies the ticket and its content."""
        return {
            "ticket number": self.ticket.number,
            "subject": SUBJECT,
            "description": DESCRIPTION,
            "public reply": PUBLIC_REPLY,
            "internal note": INTERNAL_MARKER,
            "public file name": PUBLIC_FILE,
            "internal file name": INTERNAL_FILE,
        }

    @property
    def organization_markers(self) -> dict[str, str]:
        """What identifies alpha's contact and contract."""
        contact = self.ticket.contact
        assert contact.support_contact_id, "the fixture gives alpha's contact a Support Contact ID"
        return {
            "contact e-mail": contact.user.email,
            "Support Contact ID": contact.support_contact_id,
            "contact phone": "111-22-33",
            "Support ID": self.ticket.contract.support_id,
        }


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def world(cast, frozen) -> AlphaWorld:
    return build_world(cast)


@pytest.fixture(scope="module")
def _module_world(
    fresh_cast, django_db_blocker, tmp_path_factory
) -> Iterator[tuple[AlphaWorld, Path]]:
    """The world built once for a module, in a transaction around all of the module's tests
    (each test's own changes are rolled back to a savepoint, as usual) that is rolled back when
    the module is done. Its files are in a directory of their own, used by each test."""
    media = tmp_path_factory.mktemp("world-media")
    atomic = transaction.atomic()
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        time_machine.travel(NOW, tick=False),
    ):
        atomic.__enter__()
        try:
            world = build_world(fresh_cast())
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    yield world, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def shared_world(_module_world, db, frozen, settings) -> AlphaWorld:
    """``world`` for a module whose every database test uses it and none is transactional:
    built once, not per test (about a third of a second each). A fresh copy for every test."""
    world, media = _module_world
    settings.MEDIA_ROOT = media
    return copy.deepcopy(world)


def build_world(cast) -> AlphaWorld:
    ivan, engineer = cast.customer_alpha, cast.engineer
    ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=ivan,
            contact=ivan.contact,
            support_contact_id=ivan.contact.support_contact_id,
            product=cast.product_sep,
            version="14.3 RU9",
            os_version="Windows Server 2022",
            service_pack="KB5034439",
            subject=SUBJECT,
            description=DESCRIPTION,
        )
    )
    ticket = actions.take_ticket(ticket=ticket, actor=engineer)
    actions.add_public_reply(
        ticket=ticket, actor=engineer, body=PUBLIC_REPLY, files=[png_file(PUBLIC_FILE)]
    )
    actions.add_internal_note(
        ticket=ticket, actor=engineer, body=INTERNAL_MARKER, files=[png_file(INTERNAL_FILE)]
    )
    actions.request_diagnostics(
        ticket=ticket, actor=engineer, items=[RequestedItem("logs")], message="Send the logs."
    )
    actions.propose_priority_change(
        ticket=ticket, actor=ivan, priority_code="p2", reason="Production is affected."
    )
    beta_ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=cast.customer_beta,
            contact=cast.customer_beta.contact,
            license_key=cast.license_key_beta.key,
            diagnostics_confirmed=confirmed_checklist(cast),
            version="7.2",
            subject="Beta VPN tunnels drop",
            description="VPN tunnels drop every hour.",
            priority_code="p2",
        )
    )
    colleague = cast.colleague_alpha
    colleague_ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=colleague,
            contact=colleague.contact,
            support_contact_id=colleague.contact.support_contact_id,
            product=cast.product_sep,
            version="14.3 RU9",
            os_version="Windows Server 2022",
            service_pack="KB5034439",
            subject="Colleague's own request",
            description="Another problem of the same organization.",
        )
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    attachments = Attachment.objects.filter(ticket=ticket).select_related("event")
    return AlphaWorld(
        ticket=ticket,
        public_attachment=attachments.get(event__is_internal=False),
        internal_attachment=attachments.get(event__is_internal=True),
        proposal=PriorityProposal.objects.get(ticket=ticket),
        diagnostics_request=DiagnosticsRequest.objects.get(ticket=ticket),
        beta_ticket=beta_ticket,
        colleague_ticket=colleague_ticket,
        ivan_token=create_api_token(user=ticket.contact.user, name="ivan's integration")[0],
    )


def bearer(user) -> dict[str, Any]:
    """Test-client headers carrying a fresh API token of ``user``."""
    _, plain = create_api_token(user=user, name="security test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def client_for(cast, who: str | None) -> tuple[Client, dict, User | None]:
    """A test client logged in as the cast's ``who`` (anonymous for None), with API headers."""
    client = Client()
    if who is None:
        return client, {}, None
    user = getattr(cast, who)
    client.force_login(user)
    return client, bearer(user), user


# Every table an action may add rows to; snapshot() counts them all in one query.
COUNTED = (Ticket, TicketEvent, OutboxMessage, Attachment, Escalation, RefusedRegistration)


def snapshot(ticket: Ticket) -> tuple:
    """Everything an action may change; equal before and after means nothing changed. Four
    queries: the isolation matrix takes one around each of its thousands of requests."""
    # The table names are the models' own, quoted: nothing from outside reaches the SQL.
    tables = [connection.ops.quote_name(model._meta.db_table) for model in COUNTED]
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    return (
        Ticket.objects.values_list(
            "state",
            "close_reason",
            "owner_id",
            "team_id",
            "priority_id",
            "escalation_level",
            "work_method_id",
            "merged_into_id",
            "organization_id",
            "contact_id",
        ).get(pk=ticket.pk),
        tuple(counts),
        list(PriorityProposal.objects.order_by("pk").values_list("pk", "state")),
        list(DiagnosticsRequest.objects.order_by("pk").values_list("pk", "answered_at")),
    )
