"""Every state change of a ticket. Portal, workspace, API, mail intake and commands call these.

Each service is keyword-only, atomic, writes its timeline event and its outbox rows in the same
transaction as the change, and returns the object it changed.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact, Team, User
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import allowed_channel_rules, channel_allowed
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import (
    Channel,
    HotlineNumber,
    LanguageRoute,
    Priority,
    RegistrationField,
    Regulation,
)
from supportdesk.tickets.models import (
    RefusedRegistration,
    Ticket,
    TicketEvent,
    TicketNumberSequence,
)

Reason = RefusedRegistration.Reason


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
    extra: dict = field(default_factory=dict)

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


@dataclass
class _Refusal(Exception):
    reason: str
    message: str
    fields: list[str] = field(default_factory=list)
    contract: Contract | None = None
    organization_id: int | None = None


def register_ticket(
    *, request: RegistrationRequest, now: datetime.datetime | None = None
) -> Ticket:
    """Register a ticket, or refuse with a reason that says what to do.

    On success: a unique increasing number, the "registered" timeline event and the customer's
    "registered as N" e-mail, in one transaction. On refusal nothing but the refusal record (and
    the account manager's notice) is written, and ``RegistrationRefused`` is raised.
    """
    now = now or timezone.now()
    try:
        checked = _check_registration(request, now)
    except _Refusal as refusal:
        record = _record_refusal(request, refusal)
        raise RegistrationRefused(
            refusal.reason, refusal.message, fields=refusal.fields, refusal=record
        ) from None
    return _create_ticket(request, now, **checked)


def _check_registration(request: RegistrationRequest, now: datetime.datetime) -> dict:
    contact = _resolve_contact(request)
    contract, license_key = _resolve_contract(request, contact)
    regulation: Regulation = contract.regulation
    organization_id = contract.organization_id

    if contact is not None and contact.organization_id != organization_id:
        raise _Refusal(
            Reason.WRONG_ORGANIZATION,
            _(
                "Contract %(support_id)s belongs to another organization. Use a Support ID or "
                "license key of your own organization."
            )
            % {"support_id": contract.support_id},
            contract=contract,
            organization_id=contact.organization_id,
        )
    if contact is None:
        raise _Refusal(
            Reason.MISSING_FIELDS,
            _("Say who is asking: choose a contact of organization %(org)s.")
            % {"org": contract.organization.name},
            fields=["contact"],
            contract=contract,
            organization_id=organization_id,
        )

    product = request.product or (license_key.product if license_key else None)
    _check_required_fields(request, regulation, product, contract)
    assert product is not None  # the product is always required by _check_required_fields

    if license_key is not None and license_key.product_id != product.pk:
        raise _Refusal(
            Reason.PRODUCT_NOT_COVERED,
            _(
                "License key %(key)s is for %(licensed)s, not for %(product)s. Choose the product "
                "of the key or enter the key of that product."
            )
            % {
                "key": license_key.key,
                "licensed": license_key.product.name,
                "product": product.name,
            },
            contract=contract,
            organization_id=organization_id,
        )
    if product.line.is_consumer:
        numbers = ", ".join(
            HotlineNumber.objects.filter(product_line=product.line).values_list("number", flat=True)
        )
        raise _Refusal(
            Reason.CONSUMER_PRODUCT,
            _(
                "%(product)s is served by the separate free consumer support line. Please call "
                "%(numbers)s."
            )
            % {"product": product.name, "numbers": numbers or "—"},
            contract=contract,
            organization_id=organization_id,
        )
    if not contract.products.filter(pk=product.pk).exists():
        raise _Refusal(
            Reason.PRODUCT_NOT_COVERED,
            _(
                "Contract %(support_id)s does not cover %(product)s. Choose a covered product, or "
                "contact your account manager to add it to the contract."
            )
            % {"support_id": contract.support_id, "product": product.name},
            contract=contract,
            organization_id=organization_id,
        )

    today = now.astimezone(zoneinfo.ZoneInfo(regulation.calendar.timezone)).date()
    if today > contract.valid_to:
        raise _Refusal(
            Reason.CONTRACT_EXPIRED,
            _(
                "Contract %(support_id)s expired on %(date)s. Support is not provided under "
                "expired contracts. Please contact your account manager to renew it."
            )
            % {"support_id": contract.support_id, "date": contract.valid_to.isoformat()},
            contract=contract,
            organization_id=organization_id,
        )
    if today < contract.valid_from:
        raise _Refusal(
            Reason.CONTRACT_NOT_STARTED,
            _(
                "Contract %(support_id)s is valid from %(date)s. Requests under it can be opened "
                "from that day."
            )
            % {"support_id": contract.support_id, "date": contract.valid_from.isoformat()},
            contract=contract,
            organization_id=organization_id,
        )

    if not channel_allowed(level=contract.level, channel=request.channel, product=product):
        allowed = sorted(
            {
                str(Channel(rule.channel).label)
                for rule in allowed_channel_rules(level=contract.level, product=product)
            }
        )
        raise _Refusal(
            Reason.CHANNEL_NOT_ALLOWED,
            _(
                "Requests through %(channel)s are not accepted for %(level)s support of "
                "%(product)s. Please use: %(allowed)s."
            )
            % {
                "channel": Channel(request.channel).label,
                "level": contract.level.tr("name"),
                "product": product.name,
                "allowed": ", ".join(allowed) or "—",
            },
            contract=contract,
            organization_id=organization_id,
        )

    priority = _resolve_priority(request, regulation, contract)
    return {
        "contact": contact,
        "contract": contract,
        "license_key": license_key,
        "product": product,
        "priority": priority,
    }


def _resolve_contact(request: RegistrationRequest) -> Contact | None:
    if request.contact is not None:
        if request.support_contact_id and request.contact.support_contact_id != (
            request.support_contact_id.strip()
        ):
            raise _Refusal(
                Reason.UNKNOWN_CONTACT,
                _(
                    "Support Contact ID %(id)s is not yours. Enter your own Support Contact ID or "
                    "leave it empty."
                )
                % {"id": request.support_contact_id},
                organization_id=request.contact.organization_id,
            )
        return request.contact
    if request.support_contact_id:
        contact = (
            Contact.objects.select_related("organization", "user")
            .filter(support_contact_id=request.support_contact_id.strip())
            .first()
        )
        if contact is None:
            raise _Refusal(
                Reason.UNKNOWN_CONTACT,
                _(
                    "Support Contact ID %(id)s is unknown. Check it against your contract papers, "
                    "or give your Support ID."
                )
                % {"id": request.support_contact_id},
            )
        return contact
    return None


def _resolve_contract(
    request: RegistrationRequest, contact: Contact | None
) -> tuple[Contract, LicenseKey | None]:
    contracts = Contract.objects.select_related("regulation__calendar", "level", "organization")
    license_key = None
    contract = None
    if request.license_key:
        license_key = (
            LicenseKey.objects.select_related("product__line", "contract")
            .filter(key=request.license_key.strip())
            .first()
        )
        if license_key is None:
            raise _Refusal(
                Reason.UNKNOWN_LICENSE_KEY,
                _("License key %(key)s is unknown. Check the key in your license certificate.")
                % {"key": request.license_key},
                organization_id=contact.organization_id if contact else None,
            )
        contract = contracts.get(pk=license_key.contract_id)
    if request.support_id:
        by_id = contracts.filter(support_id=request.support_id.strip()).first()
        if by_id is None:
            raise _Refusal(
                Reason.UNKNOWN_CONTRACT,
                _(
                    "Support ID %(id)s is unknown. Check the Support ID in your contract papers, "
                    "or ask your account manager."
                )
                % {"id": request.support_id},
                organization_id=contact.organization_id if contact else None,
            )
        if contract is not None and contract.pk != by_id.pk:
            raise _Refusal(
                Reason.UNKNOWN_LICENSE_KEY,
                _("License key %(key)s does not belong to contract %(support_id)s.")
                % {"key": request.license_key, "support_id": by_id.support_id},
                contract=by_id,
                organization_id=by_id.organization_id,
            )
        contract = by_id
    if contract is None and contact is not None and request.support_contact_id:
        # The Support Contact ID alone identifies the caller; the contract is the organization's
        # contract covering the product (the newest one, so an expired one is reported).
        candidates = contracts.filter(organization_id=contact.organization_id).order_by("-valid_to")
        covering = candidates.filter(products=request.product) if request.product else candidates
        contract = covering.first() or candidates.first()
    if contract is None:
        raise _Refusal(
            Reason.MISSING_FIELDS,
            _(
                "Identify the contract: give the Support ID, the license key or your Support "
                "Contact ID."
            ),
            fields=["support_id", "license_key", "support_contact_id"],
            organization_id=contact.organization_id if contact else None,
        )
    return contract, license_key


def _check_required_fields(
    request: RegistrationRequest,
    regulation: Regulation,
    product: Product | None,
    contract: Contract,
) -> None:
    groups: dict[str, list[str]] = {}
    for required in regulation.required_fields.all():
        groups.setdefault(required.any_of_group or required.field, []).append(required.field)
    values = {name: request.value_of(name) for name in RegistrationField.values}
    values["product"] = product
    missing: list[str] = []
    for names in groups.values():
        if not any(str(values[name] or "").strip() for name in names):
            missing.extend(names)
    if product is None and "product" not in missing:
        missing.append("product")
    if missing:
        labels = [str(RegistrationField(name).label) for name in missing]
        raise _Refusal(
            Reason.MISSING_FIELDS,
            _(
                "The regulation requires these fields to register a request: %(fields)s. Please "
                "fill them in and send the request again."
            )
            % {"fields": ", ".join(labels)},
            fields=missing,
            contract=contract,
            organization_id=contract.organization_id,
        )


def _resolve_priority(
    request: RegistrationRequest, regulation: Regulation, contract: Contract
) -> Priority:
    priorities = Priority.objects.filter(regulation=regulation)
    if request.priority_code:
        priority = priorities.filter(code=request.priority_code).first()
        if priority is None:
            raise _Refusal(
                Reason.INVALID,
                _("Priority %(code)s does not exist in this regulation. Choose one of: %(codes)s.")
                % {
                    "code": request.priority_code,
                    "codes": ", ".join(priorities.values_list("code", flat=True)),
                },
                fields=["priority"],
                contract=contract,
                organization_id=contract.organization_id,
            )
        return priority
    lowest = priorities.order_by("-rank").first()
    if lowest is None:
        raise RuntimeError(f"Regulation {regulation.code} defines no priorities")
    return lowest


def _record_refusal(request: RegistrationRequest, refusal: _Refusal) -> RefusedRegistration:
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


def next_ticket_number(*, now: datetime.datetime) -> str:
    """The next number of the period. Call inside the registration's transaction.

    The UPDATE takes the row lock until commit (PostgreSQL) or the write lock is already held
    (SQLite, IMMEDIATE transactions), so numbers are unique and increase in commit order.
    """
    fmt = settings.TICKET_NUMBER_FORMAT
    year = now.astimezone(timezone.get_default_timezone()).year
    period = str(year) if "{year}" in fmt else "all"
    TicketNumberSequence.objects.bulk_create(
        [TicketNumberSequence(period=period)], ignore_conflicts=True
    )
    TicketNumberSequence.objects.filter(period=period).update(last_value=F("last_value") + 1)
    value = TicketNumberSequence.objects.values_list("last_value", flat=True).get(period=period)
    return fmt.format(year=year, seq=value)


def _route_team(regulation: Regulation, language: str) -> Team | None:
    """The team of the regulation's language route for the ticket's language, else its default."""
    routes = {
        route.language: route.team
        for route in LanguageRoute.objects.filter(regulation=regulation).select_related("team")
    }
    return routes.get(language) or routes.get(regulation.language)


def _create_ticket(
    request: RegistrationRequest,
    now: datetime.datetime,
    *,
    contact: Contact,
    contract: Contract,
    license_key: LicenseKey | None,
    product: Product,
    priority: Priority,
) -> Ticket:
    regulation = contract.regulation
    language = request.language or contact.user.language
    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=next_ticket_number(now=now),
            organization_id=contract.organization_id,
            contact=contact,
            contract=contract,
            regulation=regulation,
            level=contract.level,
            product=product,
            version=request.version.strip(),
            license_key=license_key,
            os_version=request.os_version.strip(),
            service_pack=request.service_pack.strip(),
            channel=request.channel,
            priority=priority,
            team=_route_team(regulation, language),
            language=language,
            subject=(request.subject.strip() or request.description.strip()[:80]),
            description=request.description.strip(),
            registered_at=now,
            registered_by=request.requested_by,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor=request.requested_by,
            kind=TicketEvent.Kind.REGISTERED,
            data={"channel": request.channel, "priority": priority.code},
        )
        with translation.override(contact.user.language):
            priority_name = priority.tr("name")
            level_name = contract.level.tr("name")
        enqueue_email(
            template="ticket_registered",
            recipients=[contact.user.email],
            language=contact.user.language,
            context={
                "ticket": ticket,
                "priority_name": priority_name,
                "level_name": level_name,
                "ticket_url": settings.SITE_URL + reverse("ticket_detail", args=[ticket.number]),
            },
            ticket=ticket,
        )
    return ticket
