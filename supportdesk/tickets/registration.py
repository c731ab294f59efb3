"""Registration: one service for the portal, the API, the dispatcher's console and mail intake.

``register_ticket`` asks ``contracts.entitlements.check_entitlement`` whether the request may
exist, then creates the ticket with its number, the "registered" event and the customer's
"registered as N" e-mail in one transaction. A refusal is recorded (and told to the account
manager) and raised as ``RegistrationRefused`` with a reason that says what to do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db import models, transaction
from django.utils import timezone, translation

from supportdesk.accounts.models import Contact, User
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import (
    Entitlement,
    Reason,
    Refusal,
    check_entitlement,
)
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import Priority, RegistrationField
from supportdesk.regulations.rules import compiled_rules
from supportdesk.sla.hooks import set_initial_deadlines
from supportdesk.tickets.actions.base import event, notify_customer
from supportdesk.tickets.models import (
    DESCRIPTION_MAX_LENGTH,
    RefusedRegistration,
    Ticket,
    TicketEvent,
)
from supportdesk.tickets.numbering import next_ticket_number


def max_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of a model's text column."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None, name
    return field.max_length


# The text a registration carries and its longest value, from the columns it ends up in: every
# interface (the portal's and the dispatcher's forms, the API's schema) takes its limits here.
FIELD_LIMITS: dict[str, int] = {
    RegistrationField.SUPPORT_ID: max_length(Contract, "support_id"),
    RegistrationField.SUPPORT_CONTACT_ID: max_length(Contact, "support_contact_id"),
    RegistrationField.LICENSE_KEY: max_length(LicenseKey, "key"),
    RegistrationField.PRODUCT: max_length(Product, "code"),
    RegistrationField.VERSION: max_length(Ticket, "version"),
    RegistrationField.OS_VERSION: max_length(Ticket, "os_version"),
    RegistrationField.SERVICE_PACK: max_length(Ticket, "service_pack"),
    RegistrationField.PRIORITY: max_length(Priority, "code"),
    RegistrationField.SUBJECT: max_length(Ticket, "subject"),
    RegistrationField.DESCRIPTION: DESCRIPTION_MAX_LENGTH,
}


@dataclass(frozen=True)
class RegistrationRequest:
    """What a registration carries, whichever channel it came through."""

    channel: str
    requested_by: User
    contact: Contact | None = None
    support_id: str = ""
    support_contact_id: str = ""
    license_key: str = ""
    product: Product | None = None
    version: str = ""
    os_version: str = ""
    service_pack: str = ""
    subject: str = ""
    description: str = ""
    priority_code: str = ""
    language: str = ""
    extra: dict = field(default_factory=dict)  # kept in the "registered" event's data

    def value_of(self, name: str) -> object:
        return getattr(self, "priority_code" if name == RegistrationField.PRIORITY else name)

    def as_record(self) -> dict:
        data = asdict(self)
        data["requested_by"] = self.requested_by.pk
        data["contact"] = self.contact.pk if self.contact else None
        data["product"] = self.product.code if self.product else None
        return data


class RegistrationRefused(Exception):
    """A registration that may not proceed; ``message`` says why and what to do."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        fields: list[str] | None = None,
        refusal: RefusedRegistration | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.fields = fields or []
        self.refusal = refusal


def register_ticket(*, request: RegistrationRequest, now: dt.datetime | None = None) -> Ticket:
    """Register a ticket, or refuse with a reason that says what to do.

    On success: a unique increasing number, the "registered" timeline event and the customer's
    "registered as N" e-mail, in one transaction. On refusal nothing but the refusal record (and
    the account manager's notice) is written, and ``RegistrationRefused`` is raised.
    """
    now = now or timezone.now()
    try:
        entitlement = check_entitlement(request, now=now)
    except Refusal as refusal:
        record = _record_refusal(request, refusal)
        raise RegistrationRefused(
            refusal.reason, refusal.message, fields=refusal.fields, refusal=record
        ) from None
    return _create_ticket(request, entitlement, now)


def _create_ticket(
    request: RegistrationRequest, entitlement: Entitlement, now: dt.datetime
) -> Ticket:
    """The ticket, its "registered" event and e-mail: one transaction of five statements (the
    number, the ticket with its deadlines, the event, the outbox row, the commit). Everything
    the regulation decides was read before, mostly from the per-version caches."""
    contact, contract, priority = entitlement.contact, entitlement.contract, entitlement.priority
    regulation = contract.regulation
    language = request.language or contact.user.language
    ticket = Ticket(
        organization=contract.organization,
        contact=contact,
        contract=contract,
        regulation=regulation,
        level=contract.level,
        product=entitlement.product,
        version=request.version.strip(),
        license_key=entitlement.license_key,
        os_version=request.os_version.strip(),
        service_pack=request.service_pack.strip(),
        channel=request.channel,
        priority=priority,
        # The team of the regulation's language route for the ticket's language, else its own.
        team_id=compiled_rules(regulation).team_id_for(language, regulation.language),
        language=language,
        subject=(request.subject.strip() or request.description.strip()[:80]),
        description=request.description.strip(),
        registered_at=now,
        registered_by=request.requested_by,
    )
    # Deadlines go in with the INSERT, as on_ticket_changed would store them right after it.
    set_initial_deadlines(ticket, now=now)
    with translation.override(contact.user.language):
        names = {"priority_name": priority.tr("name"), "level_name": contract.level.tr("name")}
    with transaction.atomic():
        ticket.number = next_ticket_number(now=now)
        ticket.save(force_insert=True)
        event(
            ticket,
            request.requested_by,
            TicketEvent.Kind.REGISTERED,
            now,
            # ``extra`` carries what the interface recorded with the registration, e.g. the
            # primary diagnostics the customer confirmed.
            data={"channel": request.channel, "priority": priority.code, **request.extra},
        )
        notify_customer(ticket, "ticket_registered", names)
    return ticket


def _record_refusal(request: RegistrationRequest, refusal: Refusal) -> RefusedRegistration:
    with transaction.atomic():
        record = RefusedRegistration.objects.create(
            reason=refusal.reason,
            message=refusal.message,
            channel=request.channel,
            organization_id=refusal.organization_id,
            contract=refusal.contract,
            requested_by=request.requested_by,
            is_sales_lead=refusal.reason == Reason.CONTRACT_EXPIRED,
            submitted=request.as_record(),
        )
        manager = record.organization.account_manager if record.organization else None
        if manager is not None:
            with translation.override(manager.language):
                reason_label = str(Reason(record.reason).label)
            enqueue_email(
                template="registration_refused",
                recipients=[manager.email],
                language=manager.language,
                context={
                    "refusal": record,
                    "organization": record.organization,
                    "reason_label": reason_label,
                },
            )
    return record
