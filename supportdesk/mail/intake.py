"""Mail intake: one raw message in, one recorded outcome out, in one transaction.

``take_message`` stores the raw message (with its hash) in the same transaction as what it
caused: a new request, a customer reply, an internal "received by e-mail, not accepted" event, an
automatic answer, or nothing (quarantine, automatic mail, duplicate). The row is written first, so
a second copy of the same message (a re-fetch, another mailbox) waits on the unique dedupe key and
is recorded as a duplicate instead of acting twice. Database outages propagate (the caller asks
the mail server to retry); any other failure still records the message, in quarantine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.contracts.entitlements import active_contracts
from supportdesk.mail import answers
from supportdesk.mail.fields import read_identification
from supportdesk.mail.models import InboundMessage, Mailbox
from supportdesk.mail.parsing import MailFile, ParsedMail, parse_message
from supportdesk.mail.routing import (
    Route,
    email_allowed,
    find_route,
    find_thread,
    is_own_address,
    own_addresses,
    sender_user,
)
from supportdesk.regulations.models import Channel
from supportdesk.tickets import attachments
from supportdesk.tickets.actions import (
    TicketActionError,
    add_customer_reply,
    record_email_not_accepted,
    ticket_url,
)
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.tickets.registration import (
    RegistrationRefused,
    RegistrationRequest,
    register_ticket,
)

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome
Reason = InboundMessage.Reason


@dataclass
class Decision:
    outcome: str
    reason: str
    detail: str = ""
    ticket: Ticket | None = None
    event: TicketEvent | None = None


def dedupe_key(raw_sha256: str, mail: ParsedMail | None) -> str:
    """Message-ID with the body's hash; the raw hash when there is no Message-ID."""
    if mail is None or not mail.message_id:
        return raw_sha256
    return hashlib.sha256(f"{mail.message_id}\0{mail.body_sha256}".encode()).hexdigest()


def take_message(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    source: str = "pipe",
    now: dt.datetime | None = None,
) -> InboundMessage:
    """Take one message: record it with its outcome. Raises only ``DatabaseError`` (retry)."""
    now = now or timezone.now()
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    mail: ParsedMail | None = None
    early: Decision | None = None
    if len(raw) > settings.MAIL_MAX_MESSAGE_BYTES:
        early = Decision(
            Outcome.QUARANTINE,
            Reason.OVERSIZED,
            f"{len(raw)} bytes; the limit is {settings.MAIL_MAX_MESSAGE_BYTES}",
        )
    else:
        try:
            mail = parse_message(raw)
        except Exception:
            logger.warning("unparseable message %s", raw_sha256, exc_info=True)
            early = Decision(Outcome.QUARANTINE, Reason.MALFORMED, "the parser gave up")
    record = InboundMessage(
        received_at=now,
        mailbox=mailbox,
        source=source,
        raw=raw,
        size=len(raw),
        sha256=raw_sha256,
        dedupe_key=dedupe_key(raw_sha256, mail),
        message_id=mail.message_id if mail else "",
        sender=mail.sender if mail else "",
        subject=mail.subject if mail else "",
        text=mail.full_text[:100_000] if mail else "",
        html=mail.html[:200_000] if mail else "",
        outcome=Outcome.QUARANTINE,
        reason=Reason.INTERNAL_ERROR,
    )
    try:
        with transaction.atomic():
            record.save()
            decision = early or decide(record, mail, mailbox, now)
            _store(record, decision)
        return record
    except IntegrityError:
        return _record_duplicate(record)
    except DatabaseError:
        raise
    except Exception as exc:
        # A bug must not lose the message: keep it for an agent, with what went wrong.
        logger.exception("intake failed for message %s", raw_sha256)
        record.pk = None
        record.answered = False
        record.refusal = None
        with transaction.atomic():
            record.save()
            _store(record, Decision(Outcome.QUARANTINE, Reason.INTERNAL_ERROR, repr(exc)[:500]))
        return record


def _store(record: InboundMessage, decision: Decision) -> None:
    record.outcome = decision.outcome
    record.reason = decision.reason
    record.detail = decision.detail[:2000]
    record.ticket = decision.ticket
    record.event = decision.event
    record.save()


def _record_duplicate(record: InboundMessage) -> InboundMessage:
    original = (
        InboundMessage.objects.exclude(outcome=Outcome.DUPLICATE)
        .filter(dedupe_key=record.dedupe_key)
        .first()
    )
    record.pk = None
    record.answered = False
    record.refusal = None
    record.outcome = Outcome.DUPLICATE
    record.reason = Reason.DUPLICATE
    record.duplicate_of = original
    record.ticket = original.ticket if original else None
    record.event = None
    # The original keeps the bytes; a copy would only fill the database on every re-fetch.
    record.raw = b""
    record.html = record.text = ""
    record.save()
    return record


def decide(
    record: InboundMessage, mail: ParsedMail | None, mailbox: Mailbox | None, now: dt.datetime
) -> Decision:
    """The outcome of one parsed message, with everything it causes written."""
    assert mail is not None
    if mail.automatic:
        return Decision(Outcome.IGNORED_LOOP, Reason.AUTOMATIC, mail.automatic)
    own = own_addresses()
    if mail.sender and is_own_address(mail.sender, own):
        return Decision(Outcome.IGNORED_LOOP, Reason.OWN_ADDRESS, mail.sender)
    if mail.too_complex:
        return Decision(Outcome.QUARANTINE, Reason.TOO_COMPLEX, mail.too_complex)
    if mail.problems:
        return Decision(Outcome.QUARANTINE, Reason.MALFORMED, "; ".join(mail.problems))
    if mail.sender_problem:
        return Decision(Outcome.QUARANTINE, Reason.SUSPICIOUS_SENDER, mail.sender_problem)
    user = sender_user(mail.sender)
    ticket = find_thread(mail)
    if ticket is not None:
        return _reply(record, mail, user, ticket, now)
    route = find_route(mail, mailbox)
    if route is None and user is not None:
        route = _route_of_sender(user, now)
    if route is None:
        if user is None:
            return Decision(Outcome.QUARANTINE, Reason.UNKNOWN_SENDER, mail.sender)
        return Decision(Outcome.QUARANTINE, Reason.NO_ROUTE, ", ".join(mail.recipients)[:500])
    if not email_allowed(route):
        return _policy_answer(record, mail, user, route, now)
    contact = access.contact_of(user) if user is not None else None
    if user is None or contact is None:
        return Decision(Outcome.QUARANTINE, Reason.UNKNOWN_SENDER, mail.sender)
    return _register(record, mail, user, route, now)


def _route_of_sender(user: User, now: dt.datetime) -> Route | None:
    """For mail to no known address: the sender's regulation (the first active contract's)."""
    contact = access.contact_of(user)
    if contact is None:
        return None
    contracts = active_contracts(organization_id=contact.organization_id, now=now)
    for contract in contracts:
        route = Route(contract.regulation, None)
        if email_allowed(route):
            return route
    return Route(contracts[0].regulation, None) if contracts else None


def _files(mail: ParsedMail) -> list[ContentFile]:
    return [_content_file(item) for item in mail.files]


def _content_file(item: MailFile) -> ContentFile:
    return ContentFile(item.data, name=item.name)


def _language(user: User | None, mail: ParsedMail) -> str:
    return user.language if user is not None else mail.language


def _reply(
    record: InboundMessage,
    mail: ParsedMail,
    user: User | None,
    ticket: Ticket,
    now: dt.datetime,
) -> Decision:
    may_act = (
        user is not None
        and access.visible_tickets(user).filter(pk=ticket.pk).exists()
        and access.role_allows(user, ticket, "customer_reply")
    )
    if not may_act:
        return Decision(Outcome.QUARANTINE, Reason.SENDER_MAY_NOT_ACT, mail.sender, ticket=ticket)
    assert user is not None
    if not ticket.regulation.email_replies_accepted:
        added = record_email_not_accepted(
            ticket=ticket,
            sender=user,
            body=mail.text,
            data={"inbound_message": record.pk, "subject": mail.subject},
            now=now,
        )
        answers.send_answer(
            record=record,
            mail=mail,
            template="mail_reply_not_accepted",
            language=_language(user, mail),
            context={"ticket": ticket, "ticket_url": ticket_url(ticket)},
            now=now,
        )
        return Decision(
            Outcome.REJECTED_REPLY, Reason.REPLIES_NOT_ACCEPTED, ticket=ticket, event=added
        )
    try:
        add_customer_reply(ticket=ticket, actor=user, body=mail.text, files=_files(mail), now=now)
    except TicketActionError as error:
        answers.send_answer(
            record=record,
            mail=mail,
            template="mail_refused",
            language=_language(user, mail),
            context={
                "message": error.message,
                "portal_url": answers.portal_address(ticket.regulation),
            },
            now=now,
        )
        return Decision(Outcome.REJECTED_REPLY, Reason.REPLY_REFUSED, error.message, ticket=ticket)
    reply = ticket.events.filter(kind=TicketEvent.Kind.CUSTOMER_REPLY).order_by("-id").first()
    return Decision(Outcome.REPLY, Reason.REPLIED, ticket=ticket, event=reply)


def _policy_answer(
    record: InboundMessage, mail: ParsedMail, user: User | None, route: Route, now: dt.datetime
) -> Decision:
    contact = access.contact_of(user) if user is not None else None
    level = None
    if contact is not None:
        for contract in active_contracts(organization_id=contact.organization_id, now=now):
            if contract.regulation_id == route.regulation.pk:
                level = contract.level
                break
    answers.send_answer(
        record=record,
        mail=mail,
        template="mail_policy_answer",
        language=_language(user, mail),
        context={
            "portal_url": answers.portal_address(route.regulation),
            "hotlines": answers.hotlines(route.regulation, level),
        },
        now=now,
    )
    return Decision(Outcome.POLICY_ANSWER, Reason.CHANNEL_NOT_ALLOWED, route.regulation.code)


def _register(
    record: InboundMessage, mail: ParsedMail, user: User, route: Route, now: dt.datetime
) -> Decision:
    contact = access.contact_of(user)
    assert contact is not None
    found = read_identification(mail.subject, mail.text, route.product_line)
    has_id = found.support_id or found.license_key or found.support_contact_id
    request = RegistrationRequest(
        channel=Channel.EMAIL,
        requested_by=user,
        contact=contact,
        support_id=found.support_id,
        # The sender's address identifies the contact when the message names no contract.
        support_contact_id=found.support_contact_id
        or ("" if has_id else contact.support_contact_id or ""),
        license_key=found.license_key,
        product=found.product,
        version=found.version,
        os_version=found.os_version,
        service_pack=found.service_pack,
        subject=mail.subject[:200],
        description=mail.text[:20_000],
        priority_code=found.priority_code,
        language=user.language,
        extra={"inbound_message": record.pk},
    )
    try:
        ticket = register_ticket(request=request, now=now)
    except RegistrationRefused as refused:
        record.refusal = refused.refusal
        answers.send_answer(
            record=record,
            mail=mail,
            template="mail_refused",
            language=_language(user, mail),
            context={
                "message": refused.message,
                "portal_url": answers.portal_address(route.regulation),
            },
            now=now,
        )
        return Decision(Outcome.REFUSED, Reason.REFUSED, refused.message)
    registered = ticket.events.get(kind=TicketEvent.Kind.REGISTERED)
    detail = ""
    if mail.files:
        checked, rejected = attachments.check_files(_files(mail), regulation=ticket.regulation)
        attachments.save_attachments(
            ticket=ticket, event=registered, checked=checked, uploaded_by=user
        )
        detail = "; ".join(item["message"] for item in rejected)
    return Decision(Outcome.TICKET, Reason.REGISTERED, detail, ticket=ticket, event=registered)
