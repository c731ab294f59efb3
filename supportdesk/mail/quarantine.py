"""What agents do with quarantined mail: reprocess it (after adding the sender as a contact, say)
or register a request from it on a customer's behalf. Each is one transaction on the locked row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.mail.intake import Decision, attach_files, decide, store_decision
from supportdesk.mail.models import InboundMessage
from supportdesk.mail.parsing import ParsedMail, parse_message
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket

Outcome = InboundMessage.Outcome


class QuarantineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def open_quarantine() -> list[InboundMessage]:
    return list(
        InboundMessage.objects.filter(outcome=Outcome.QUARANTINE, resolved_at__isnull=True)
        .defer("raw")
        .order_by("-received_at", "-id")[:200]
    )


def reparse(record: InboundMessage) -> ParsedMail | None:
    """The stored message parsed again; None when it is too large to read."""
    raw = bytes(record.raw)
    if len(raw) > settings.MAIL_MAX_MESSAGE_BYTES:
        return None
    return parse_message(raw)


@contextmanager
def _quarantined(record_id: int, actor: User) -> Iterator[InboundMessage]:
    if not access.may_handle_incoming_mail(actor):
        raise QuarantineError(_("You are not allowed to handle incoming mail."))
    with transaction.atomic():
        record = InboundMessage.objects.select_for_update().filter(pk=record_id).first()
        if record is None or record.outcome != Outcome.QUARANTINE or record.resolved_at:
            raise QuarantineError(_("This message is no longer in quarantine."))
        yield record


def reprocess_message(
    *, record_id: int, actor: User, now: dt.datetime | None = None
) -> InboundMessage:
    """Run the stored message through intake again; it leaves quarantine when the outcome
    changes (the row keeps its id: the same message, decided anew)."""
    now = now or timezone.now()
    with _quarantined(record_id, actor) as record:
        mail = reparse(record)
        if mail is None:
            decision = Decision(Outcome.QUARANTINE, record.reason, record.detail)
        else:
            decision = decide(record, mail, record.mailbox, now)
        store_decision(record, decision)
        if record.outcome != Outcome.QUARANTINE:
            record.resolved_at, record.resolved_by = now, actor
            record.save(update_fields=["resolved_at", "resolved_by"])
        return record


def create_ticket_from_message(
    *, record_id: int, actor: User, request: RegistrationRequest, now: dt.datetime | None = None
) -> Ticket:
    """Register a request from a quarantined message on a customer's behalf: the message's text
    and files, the fields the agent filled. Raises ``RegistrationRefused`` like the portal."""
    now = now or timezone.now()
    with _quarantined(record_id, actor) as record:
        ticket = register_ticket(request=request, now=now)
        registered = ticket.events.get(kind=TicketEvent.Kind.REGISTERED)
        mail = reparse(record)
        detail = attach_files(ticket, registered, mail, actor) if mail is not None else ""
        store_decision(
            record,
            Decision(
                Outcome.TICKET,
                InboundMessage.Reason.CREATED_BY_AGENT,
                detail,
                ticket=ticket,
                event=registered,
            ),
        )
        record.resolved_at, record.resolved_by = now, actor
        record.save(update_fields=["resolved_at", "resolved_by"])
        return ticket
