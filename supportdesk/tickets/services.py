"""Every state change of a ticket. Portal, workspace, API, mail intake and commands call these.

Each service is keyword-only, atomic, writes its timeline event and its outbox rows in the same
transaction as the change, and returns the object it changed.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts import access
from supportdesk.accounts.models import Agent, Contact, Team, User
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import allowed_channel_rules, channel_allowed
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.outbox.services import enqueue_email
from supportdesk.regulations.models import (
    Channel,
    EscalationContact,
    HotlineNumber,
    LanguageRoute,
    Priority,
    RegistrationField,
    Regulation,
    WorkMethod,
)
from supportdesk.sla import hooks as sla_hooks
from supportdesk.tickets import attachments
from supportdesk.tickets.models import (
    CloseReason,
    DiagnosticsRequest,
    DiagnosticsRequestItem,
    Escalation,
    PriorityProposal,
    RefusedRegistration,
    Ticket,
    TicketEvent,
    TicketNumberSequence,
    TicketState,
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
            # ``extra`` carries what the interface recorded with the registration, e.g. the
            # primary diagnostics the customer confirmed.
            data={"channel": request.channel, "priority": priority.code, **request.extra},
        )
        _ticket_changed(ticket, now)
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


# --- Lifecycle -------------------------------------------------------------------------------
# registered → in_progress ⇄ waiting_for_customer → solution_proposed → closed;
# solution_proposed → in_progress on a reasoned refusal; closed → in_progress on a reopen.
# Every service locks the ticket, checks visibility, role and state, then writes the change, its
# timeline events and its e-mails in one transaction. A refused action changes nothing.

State = TicketState
OPEN_STATES = frozenset(
    {State.REGISTERED, State.IN_PROGRESS, State.WAITING_FOR_CUSTOMER, State.SOLUTION_PROPOSED}
)

# The states each action is allowed in. The services enforce it; the pages offer an action's form
# only where it applies. One table, so the two cannot disagree.
ACTION_STATES: dict[str, frozenset[str]] = {
    "take": OPEN_STATES,
    "assign": OPEN_STATES,
    "public_reply": OPEN_STATES,
    "internal_note": frozenset(State.values),
    "customer_reply": OPEN_STATES,
    "request_diagnostics": frozenset({State.IN_PROGRESS}),
    "propose_solution": frozenset({State.IN_PROGRESS}),
    "confirm_solution": frozenset({State.SOLUTION_PROPOSED}),
    "refuse_solution": frozenset({State.SOLUTION_PROPOSED}),
    "escalate": OPEN_STATES,
    "propose_priority": OPEN_STATES,
    "decide_priority": OPEN_STATES,
    "override_priority": OPEN_STATES,
    "agree_work_method": OPEN_STATES,
    "split": OPEN_STATES,
    "merge": OPEN_STATES,
    "reopen": frozenset({State.CLOSED}),
    "withdraw": OPEN_STATES,
    "close": OPEN_STATES,
}


class TicketActionError(Exception):
    """An action that may not proceed. ``status``: 404 unknown, 403 role, 409 state, 422 input."""

    def __init__(
        self, code: str, message: str, *, status: int = 409, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or []


@dataclass(frozen=True)
class RequestedItem:
    """One named item of a diagnostics request: logs, configuration, traces, network_diagram or
    other (with text)."""

    kind: str
    text: str = ""


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _authorize(ticket: Ticket, actor: User, action: str) -> None:
    if not access.can_see_ticket(actor, ticket):
        raise TicketActionError("not_found", _("Not found."), status=404)
    if not access.can_act(actor, ticket, action):
        raise TicketActionError(
            "forbidden",
            _("You are not allowed to do this on request %(number)s.") % {"number": ticket.number},
            status=403,
        )


def _require_state(ticket: Ticket, *states: str) -> None:
    if ticket.state not in states:
        raise TicketActionError(
            "invalid_state",
            _("This is not possible while request %(number)s is %(state)s.")
            % {"number": ticket.number, "state": State(ticket.state).label},
        )


def _require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TicketActionError("required", message, status=422, fields=[field_name])
    return value


def _event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    now: datetime.datetime,
    *,
    body: str = "",
    data: dict | None = None,
    internal: bool = False,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        created_at=now,
        actor=actor,
        kind=kind,
        body=body,
        data=data or {},
        is_internal=internal,
    )


def _set_state(
    ticket: Ticket,
    actor: User | None,
    now: datetime.datetime,
    to: str,
    *,
    action: str,
    reason: str = "",
    close_reason: str = "",
    extra: dict | None = None,
) -> list[str]:
    """Move the ticket to ``to`` and write the STATE_CHANGED event; returns the changed fields."""
    old = ticket.state
    ticket.state = to
    fields = ["state"]
    data: dict = {"from": old, "to": to, "action": action}
    if to == State.CLOSED:
        ticket.closed_at = now
        ticket.close_reason = close_reason
        data["close_reason"] = close_reason
        fields += ["closed_at", "close_reason"]
    elif old == State.CLOSED:
        ticket.closed_at = None
        ticket.close_reason = ""
        fields += ["closed_at", "close_reason"]
    if reason:
        data["reason"] = reason
    data.update(extra or {})
    _event(ticket, actor, TicketEvent.Kind.STATE_CHANGED, now, body=reason, data=data)
    return fields


def _save(ticket: Ticket, fields: list[str], now: datetime.datetime) -> Ticket:
    ticket.save(update_fields=sorted({*fields, "updated_at"}))
    _ticket_changed(ticket, now)
    return ticket


def _ticket_changed(ticket: Ticket, now: datetime.datetime) -> None:
    """Recompute the SLA deadlines in this transaction, from the timeline."""
    sla_hooks.on_ticket_changed(ticket=ticket, now=now)


def _ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("ticket_detail", args=[ticket.number])


def _notify_customer(ticket: Ticket, template: str, context: dict | None = None) -> None:
    """A customer-facing e-mail to the ticket's contact, in their language. Never pass internal
    notes in ``context``."""
    user = ticket.contact.user
    enqueue_email(
        template=template,
        recipients=[user.email],
        language=user.language,
        context={"ticket": ticket, "ticket_url": _ticket_url(ticket), **(context or {})},
        ticket=ticket,
    )


def _notify_owner(
    ticket: Ticket, template: str, actor: User | None, context: dict | None = None
) -> None:
    """An agent-facing e-mail to the ticket's owner, unless the owner did it."""
    if ticket.owner is None:
        return
    user = ticket.owner.user
    if actor is not None and user.pk == actor.pk:
        return
    enqueue_email(
        template=template,
        recipients=[user.email],
        language=user.language,
        context={
            "ticket": ticket,
            "actor": actor,
            "ticket_url": _agent_url(ticket),
            **(context or {}),
        },
        ticket=ticket,
    )


def _agent_url(ticket: Ticket) -> str:
    try:
        return settings.SITE_URL + reverse("workspace:ticket", args=[ticket.number])
    except NoReverseMatch:
        return settings.SITE_URL + reverse("workspace:home")


def _attach(
    ticket: Ticket, files: Sequence[Any]
) -> tuple[list[attachments.CheckedFile], list[dict[str, str]]]:
    if not files:
        return [], []
    return attachments.check_files(files, regulation=ticket.regulation)


def _reply_event(
    ticket: Ticket,
    actor: User,
    kind: str,
    now: datetime.datetime,
    *,
    body: str,
    files: Sequence[Any],
    internal: bool = False,
    data: dict | None = None,
) -> tuple[TicketEvent, list]:
    """An event carrying text and files. Refused files are listed in the event's data with the
    reason; the text and the accepted files are kept."""
    checked, rejected = _attach(ticket, files)
    if not body.strip() and not checked:
        if rejected:
            raise TicketActionError(
                "attachments_rejected",
                " ".join(item["message"] for item in rejected),
                status=422,
                fields=["files"],
            )
        raise TicketActionError(
            "required", _("Write a message or attach a file."), status=422, fields=["body"]
        )
    event_data = dict(data or {})
    if rejected:
        event_data["rejected_files"] = rejected
    event = _event(ticket, actor, kind, now, body=body.strip(), data=event_data, internal=internal)
    saved = attachments.save_attachments(
        ticket=ticket, event=event, checked=checked, uploaded_by=actor
    )
    return event, saved


def _agent(user: User) -> Agent:
    agent = access.agent_of(user)
    assert agent is not None
    return agent


def take_ticket(*, ticket: Ticket, actor: User, now: datetime.datetime | None = None) -> Ticket:
    """An engineer (or manager) takes an unowned ticket; registered → in_progress."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "take")
        _require_state(ticket, *ACTION_STATES["take"])
        agent = _agent(actor)
        if ticket.owner is not None:
            raise TicketActionError(
                "already_owned",
                _("Request %(number)s is already owned by %(owner)s.")
                % {"number": ticket.number, "owner": ticket.owner.user},
            )
        ticket.owner = agent
        _event(
            ticket,
            actor,
            TicketEvent.Kind.ASSIGNED,
            now,
            data={"from": None, "to": agent.pk, "to_name": str(actor), "how": "taken"},
        )
        fields = ["owner"]
        if ticket.state == State.REGISTERED:
            fields += _set_state(ticket, actor, now, State.IN_PROGRESS, action="take")
        return _save(ticket, fields, now)


def assign_ticket(
    *,
    ticket: Ticket,
    actor: User,
    assignee: User | None,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """Assign an unowned ticket (dispatcher, manager), or reassign an owned one: only a manager,
    or the owner handing it over, and with a reason. Records who and why; e-mails the new owner."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "assign")
        _require_state(ticket, *ACTION_STATES["assign"])
        new_owner = access.agent_of(assignee) if assignee is not None else None
        if new_owner is None or new_owner.role not in (Agent.Role.ENGINEER, Agent.Role.MANAGER):
            raise TicketActionError(
                "invalid_assignee",
                _("Requests are assigned to engineers or managers only."),
                status=422,
                fields=["assignee"],
            )
        if new_owner.pk == ticket.owner_id:
            raise TicketActionError(
                "already_owned",
                _("Request %(number)s is already owned by %(owner)s.")
                % {"number": ticket.number, "owner": assignee},
            )
        old_owner = ticket.owner
        if old_owner is not None:
            reason = _require_text(
                reason, "reason", _("Say why the request is handed over to another engineer.")
            )
        ticket.owner = new_owner
        _event(
            ticket,
            actor,
            TicketEvent.Kind.ASSIGNED,
            now,
            body=reason.strip(),
            data={
                "from": old_owner.pk if old_owner else None,
                "from_name": str(old_owner.user) if old_owner else None,
                "to": new_owner.pk,
                "to_name": str(assignee),
                "how": "reassigned" if old_owner else "assigned",
                "reason": reason.strip(),
            },
        )
        fields = ["owner"]
        if ticket.state == State.REGISTERED:
            fields += _set_state(ticket, actor, now, State.IN_PROGRESS, action="assign")
        _notify_owner(ticket, "ticket_assigned", actor, {"reason": reason.strip()})
        return _save(ticket, fields, now)


def add_public_reply(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: datetime.datetime | None = None,
) -> Ticket:
    """The working agent's reply the customer sees; e-mailed to the contact."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "public_reply")
        _require_state(ticket, *ACTION_STATES["public_reply"])
        event, saved = _reply_event(
            ticket, actor, TicketEvent.Kind.PUBLIC_REPLY, now, body=body, files=files
        )
        _notify_customer(ticket, "ticket_reply", {"body": event.body, "attachments": saved})
        return _save(ticket, [], now)


def add_internal_note(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: datetime.datetime | None = None,
) -> Ticket:
    """A note for agents only: never shown to customers, never e-mailed, never notified."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "internal_note")
        _reply_event(
            ticket,
            actor,
            TicketEvent.Kind.INTERNAL_NOTE,
            now,
            body=body,
            files=files,
            internal=True,
        )
        return _save(ticket, [], now)


def add_customer_reply(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    provided_items: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> Ticket:
    """The customer's reply. On waiting_for_customer it answers the open diagnostics request
    (ticking ``provided_items``, or every item when None) and returns the ticket to in_progress."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "customer_reply")
        if ticket.state == State.CLOSED:
            raise TicketActionError(
                "invalid_state",
                _("Request %(number)s is closed. Please open a new request.")
                % {"number": ticket.number},
            )
        request = (
            ticket.diagnostics_requests.filter(answered_at__isnull=True).order_by("-id").first()
        )
        data: dict = {}
        items = []
        if request is not None:
            items = list(request.items.filter(done=False))
            if provided_items is not None:
                unknown = set(provided_items) - {item.pk for item in request.items.all()}
                if unknown:
                    raise TicketActionError(
                        "invalid",
                        _("Unknown requested item."),
                        status=422,
                        fields=["provided_items"],
                    )
                items = [item for item in items if item.pk in set(provided_items)]
            data = {"diagnostics_request": request.pk, "provided_items": [i.pk for i in items]}
        event, saved = _reply_event(
            ticket, actor, TicketEvent.Kind.CUSTOMER_REPLY, now, body=body, files=files, data=data
        )
        fields: list[str] = []
        if request is not None:
            for item in items:
                item.done = True
                item.done_at = now
                item.save(update_fields=["done", "done_at"])
            request.answered_at = now
            request.answer_event = event
            request.save(update_fields=["answered_at", "answer_event"])
        if ticket.state == State.WAITING_FOR_CUSTOMER:
            fields += _set_state(ticket, actor, now, State.IN_PROGRESS, action="customer_reply")
        _notify_owner(
            ticket,
            "ticket_customer_activity",
            actor,
            {"activity": "reply", "body": event.body, "attachments": saved},
        )
        return _save(ticket, fields, now)


def request_diagnostics(
    *,
    ticket: Ticket,
    actor: User,
    items: Sequence[RequestedItem],
    message: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """Ask the customer for named diagnostics; in_progress → waiting_for_customer."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "request_diagnostics")
        _require_state(ticket, *ACTION_STATES["request_diagnostics"])
        kinds = DiagnosticsRequestItem.Kind
        if not items:
            raise TicketActionError(
                "required", _("Name at least one item to request."), status=422, fields=["items"]
            )
        for item in items:
            if item.kind not in kinds.values:
                raise TicketActionError(
                    "invalid",
                    _("Unknown diagnostics item: %(kind)s.") % {"kind": item.kind},
                    status=422,
                    fields=["items"],
                )
            if item.kind == kinds.OTHER and not item.text.strip():
                raise TicketActionError(
                    "required",
                    _("Describe the other item you request."),
                    status=422,
                    fields=["items"],
                )
        event = _event(
            ticket,
            actor,
            TicketEvent.Kind.DIAGNOSTICS_REQUESTED,
            now,
            body=message.strip(),
            data={"items": [{"kind": i.kind, "text": i.text.strip()} for i in items]},
        )
        request = DiagnosticsRequest.objects.create(
            ticket=ticket, event=event, requested_by=actor, created_at=now
        )
        rows = DiagnosticsRequestItem.objects.bulk_create(
            [
                DiagnosticsRequestItem(request=request, kind=i.kind, text=i.text.strip())
                for i in items
            ]
        )
        fields = _set_state(
            ticket,
            actor,
            now,
            State.WAITING_FOR_CUSTOMER,
            action="request_diagnostics",
            extra={"diagnostics_request": request.pk},
        )
        _notify_customer(ticket, "diagnostics_requested", {"message": event.body, "items": rows})
        return _save(ticket, fields, now)


def propose_solution(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    files: Sequence[Any] = (),
    now: datetime.datetime | None = None,
) -> Ticket:
    """Propose the solution; in_progress → solution_proposed. The customer confirms or refuses."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "propose_solution")
        _require_state(ticket, *ACTION_STATES["propose_solution"])
        _require_text(body, "body", _("Describe the proposed solution."))
        event, saved = _reply_event(
            ticket, actor, TicketEvent.Kind.SOLUTION_PROPOSED, now, body=body, files=files
        )
        fields = _set_state(ticket, actor, now, State.SOLUTION_PROPOSED, action="propose_solution")
        _notify_customer(
            ticket,
            "solution_proposed",
            {
                "body": event.body,
                "attachments": saved,
                "days": ticket.regulation.confirmation_working_days,
            },
        )
        return _save(ticket, fields, now)


def confirm_solution(
    *, ticket: Ticket, actor: User, comment: str = "", now: datetime.datetime | None = None
) -> Ticket:
    """The customer confirms the proposed solution; the ticket closes with reason confirmed."""
    return _close_by_customer(
        ticket=ticket,
        actor=actor,
        action="confirm_solution",
        close_reason=CloseReason.CONFIRMED,
        activity="confirmed",
        text=comment,
        now=now,
    )


def _close_by_customer(
    *,
    ticket: Ticket,
    actor: User,
    action: str,
    close_reason: str,
    activity: str,
    text: str,
    now: datetime.datetime | None,
) -> Ticket:
    """The customer closes the request (confirmation or withdrawal); the owner is told."""
    now = _now(now)
    text = text.strip()
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, action)
        _require_state(ticket, *ACTION_STATES[action])
        fields = _set_state(
            ticket, actor, now, State.CLOSED, action=action, reason=text, close_reason=close_reason
        )
        _notify_owner(
            ticket, "ticket_customer_activity", actor, {"activity": activity, "body": text}
        )
        return _save(ticket, fields, now)


def refuse_solution(
    *, ticket: Ticket, actor: User, reason: str, now: datetime.datetime | None = None
) -> Ticket:
    """The customer's reasoned refusal; solution_proposed → in_progress. The reason is required."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "refuse_solution")
        _require_state(ticket, *ACTION_STATES["refuse_solution"])
        reason = _require_text(
            reason, "reason", _("Say why the proposed solution does not solve the problem.")
        )
        _event(ticket, actor, TicketEvent.Kind.SOLUTION_REFUSED, now, body=reason)
        fields = _set_state(
            ticket, actor, now, State.IN_PROGRESS, action="refuse_solution", reason=reason
        )
        _notify_owner(
            ticket, "ticket_customer_activity", actor, {"activity": "refused", "body": reason}
        )
        return _save(ticket, fields, now)


def _priority(ticket: Ticket, code: str) -> Priority:
    priority = Priority.objects.filter(regulation_id=ticket.regulation_id, code=code).first()
    if priority is None:
        raise TicketActionError(
            "invalid",
            _("Priority %(code)s does not exist in this regulation.") % {"code": code},
            status=422,
            fields=["priority"],
        )
    return priority


def _create_proposal(
    ticket: Ticket,
    actor: User,
    now: datetime.datetime,
    *,
    side: str,
    priority_code: str,
    reason: str,
) -> PriorityProposal:
    to = _priority(ticket, priority_code)
    if to.pk == ticket.priority_id:
        raise TicketActionError(
            "invalid",
            _("The request already has priority %(priority)s.") % {"priority": to},
            status=422,
            fields=["priority"],
        )
    if ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING).exists():
        raise TicketActionError(
            "proposal_pending",
            _("A priority change is already proposed and waits for an answer."),
        )
    proposal = PriorityProposal.objects.create(
        ticket=ticket,
        side=side,
        proposed_by=actor,
        from_priority=ticket.priority,
        to_priority=to,
        reason=reason,
        created_at=now,
    )
    _event(
        ticket,
        actor,
        TicketEvent.Kind.PRIORITY_PROPOSED,
        now,
        body=reason,
        data={"proposal": proposal.pk, "side": side, "from": ticket.priority.code, "to": to.code},
    )
    context = {"proposal": proposal, "reason": reason}
    if side == PriorityProposal.Side.CUSTOMER:
        _notify_owner(ticket, "priority_proposed", actor, context)
    else:
        _notify_customer(ticket, "priority_proposed", context)
    return proposal


def _side_of(actor: User, ticket: Ticket) -> str:
    if access.is_ticket_customer(actor, ticket):
        return PriorityProposal.Side.CUSTOMER
    return PriorityProposal.Side.SUPPORT


def request_escalation(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    text: str = "",
    priority_code: str = "",
    priority_reason: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """The customer escalates: recorded, escalation level + 1, the regulation's escalation contacts
    of that level (in their language) and the owner are notified; may carry a priority proposal."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "escalate")
        _require_state(ticket, *ACTION_STATES["escalate"])
        if reason not in Escalation.Reason.values:
            raise TicketActionError(
                "invalid", _("Choose the reason of the escalation."), status=422, fields=["reason"]
            )
        text = text.strip()
        if reason == Escalation.Reason.OTHER:
            _require_text(text, "text", _("Describe the reason of the escalation."))
        proposal = None
        if priority_code:
            proposal = _create_proposal(
                ticket,
                actor,
                now,
                side=PriorityProposal.Side.CUSTOMER,
                priority_code=priority_code,
                reason=priority_reason.strip() or text or str(Escalation.Reason(reason).label),
            )
        ticket.escalation_level += 1
        escalation = Escalation.objects.create(
            ticket=ticket,
            requested_by=actor,
            reason=reason,
            text=text,
            level=ticket.escalation_level,
            priority_proposal=proposal,
            created_at=now,
        )
        _event(
            ticket,
            actor,
            TicketEvent.Kind.ESCALATION_REQUESTED,
            now,
            body=text,
            data={
                "reason": reason,
                "from": ticket.escalation_level - 1,
                "to": ticket.escalation_level,
                "escalation": escalation.pk,
                "priority_proposal": proposal.pk if proposal else None,
            },
        )
        context = {
            "ticket": ticket,
            "escalation": escalation,
            "reason_label": Escalation.Reason(reason).label,
            "ticket_url": _agent_url(ticket),
        }
        contacts = EscalationContact.objects.filter(
            regulation_id=ticket.regulation_id, escalation_level__lte=ticket.escalation_level
        ).order_by("escalation_level", "id")
        for contact in contacts:
            enqueue_email(
                template="escalation_requested",
                recipients=[contact.email],
                language=contact.language,
                context=context,
                ticket=ticket,
            )
        _notify_owner(ticket, "escalation_requested", actor, context)
        return _save(ticket, ["escalation_level"], now)


def propose_priority_change(
    *,
    ticket: Ticket,
    actor: User,
    priority_code: str,
    reason: str,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Either side proposes a new priority with a reason; it takes effect when the other accepts."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "propose_priority")
        _require_state(ticket, *ACTION_STATES["propose_priority"])
        reason = _require_text(reason, "reason", _("Say why the priority should change."))
        _create_proposal(
            ticket,
            actor,
            now,
            side=_side_of(actor, ticket),
            priority_code=priority_code,
            reason=reason,
        )
        return _save(ticket, [], now)


def _pending_proposal(ticket: Ticket, actor: User, proposal_id: int) -> PriorityProposal:
    proposal = ticket.priority_proposals.filter(pk=proposal_id).first()
    if proposal is None:
        raise TicketActionError("not_found", _("Not found."), status=404)
    deciding_side = (
        access.is_ticket_worker(actor, ticket)
        if proposal.side == PriorityProposal.Side.CUSTOMER
        else access.is_ticket_customer(actor, ticket)
    )
    if not deciding_side:
        raise TicketActionError(
            "forbidden",
            _("Only the other side accepts or declines a proposed priority change."),
            status=403,
        )
    if proposal.state != PriorityProposal.State.PENDING:
        raise TicketActionError("invalid_state", _("This proposal has already been answered."))
    return proposal


def _notify_proposer(
    ticket: Ticket, proposal: PriorityProposal, actor: User, template: str, context: dict
) -> None:
    if proposal.side == PriorityProposal.Side.CUSTOMER:
        _notify_customer(ticket, template, context)
    else:
        _notify_owner(ticket, template, actor, context)


def accept_priority_change(
    *, ticket: Ticket, actor: User, proposal_id: int, now: datetime.datetime | None = None
) -> Ticket:
    """The other side accepts: the priority changes (event data from/to) and deadlines follow."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        if not access.can_see_ticket(actor, ticket):
            raise TicketActionError("not_found", _("Not found."), status=404)
        proposal = _pending_proposal(ticket, actor, proposal_id)
        _require_state(ticket, *ACTION_STATES["decide_priority"])
        proposal.state = PriorityProposal.State.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.save(update_fields=["state", "decided_at", "decided_by"])
        old = ticket.priority
        ticket.priority = proposal.to_priority
        _event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_CHANGED,
            now,
            body=proposal.reason,
            data={
                "from": old.code,
                "to": proposal.to_priority.code,
                "proposal": proposal.pk,
                "side": proposal.side,
            },
        )
        _notify_proposer(
            ticket,
            proposal,
            actor,
            "priority_changed",
            {"from_priority": old, "to_priority": proposal.to_priority, "override": False},
        )
        return _save(ticket, ["priority"], now)


def decline_priority_change(
    *,
    ticket: Ticket,
    actor: User,
    proposal_id: int,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """The other side declines: the priority stays."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        if not access.can_see_ticket(actor, ticket):
            raise TicketActionError("not_found", _("Not found."), status=404)
        proposal = _pending_proposal(ticket, actor, proposal_id)
        proposal.state = PriorityProposal.State.DECLINED
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.decision_reason = reason.strip()
        proposal.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
        _event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_DECLINED,
            now,
            body=reason.strip(),
            data={
                "proposal": proposal.pk,
                "from": proposal.from_priority.code,
                "to": proposal.to_priority.code,
            },
        )
        _notify_proposer(
            ticket,
            proposal,
            actor,
            "priority_declined",
            {"proposal": proposal, "reason": reason.strip()},
        )
        return _save(ticket, [], now)


def override_priority(
    *,
    ticket: Ticket,
    actor: User,
    priority_code: str,
    reason: str,
    now: datetime.datetime | None = None,
) -> Ticket:
    """A manager sets the priority without agreement; recorded as an override, with a reason.
    Pending proposals are superseded."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "override_priority")
        _require_state(ticket, *ACTION_STATES["override_priority"])
        reason = _require_text(reason, "reason", _("Say why the priority is overridden."))
        to = _priority(ticket, priority_code)
        if to.pk == ticket.priority_id:
            raise TicketActionError(
                "invalid",
                _("The request already has priority %(priority)s.") % {"priority": to},
                status=422,
                fields=["priority"],
            )
        ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING).update(
            state=PriorityProposal.State.SUPERSEDED, decided_at=now, decided_by=actor
        )
        old = ticket.priority
        ticket.priority = to
        _event(
            ticket,
            actor,
            TicketEvent.Kind.PRIORITY_OVERRIDDEN,
            now,
            body=reason,
            data={"from": old.code, "to": to.code, "override": True},
        )
        _notify_customer(
            ticket,
            "priority_changed",
            {"from_priority": old, "to_priority": to, "override": True, "reason": reason},
        )
        _notify_owner(
            ticket,
            "priority_changed",
            actor,
            {"from_priority": old, "to_priority": to, "override": True, "reason": reason},
        )
        return _save(ticket, ["priority"], now)


def agree_work_method(
    *,
    ticket: Ticket,
    actor: User,
    method_code: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """Record the work method agreed with the customer (only methods the regulation allows for the
    ticket's level). It never changes the targets."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "agree_work_method")
        _require_state(ticket, *ACTION_STATES["agree_work_method"])
        method = WorkMethod.objects.filter(
            regulation_id=ticket.regulation_id, code=method_code
        ).first()
        if method is None or (
            method.levels.exists() and not method.levels.filter(pk=ticket.level_id).exists()
        ):
            allowed = [
                m.tr("name")
                for m in WorkMethod.objects.filter(regulation_id=ticket.regulation_id)
                if not m.levels.exists() or m.levels.filter(pk=ticket.level_id).exists()
            ]
            raise TicketActionError(
                "method_not_available",
                _(
                    "This work method is not available for %(level)s support. "
                    "Available: %(allowed)s."
                )
                % {"level": ticket.level.tr("name"), "allowed": ", ".join(allowed) or "—"},
                status=422,
                fields=["method"],
            )
        old = ticket.work_method
        ticket.work_method = method
        side = _side_of(actor, ticket)
        _event(
            ticket,
            actor,
            TicketEvent.Kind.WORK_METHOD_AGREED,
            now,
            body=note.strip(),
            data={"from": old.code if old else None, "to": method.code, "side": side},
        )
        context = {"method": method, "note": note.strip()}
        if side == PriorityProposal.Side.CUSTOMER:
            _notify_owner(ticket, "work_method_agreed", actor, context)
        else:
            _notify_customer(ticket, "work_method_agreed", context)
        ticket.save(update_fields=["work_method", "updated_at"])
        # Deliberately no _ticket_changed: a work method never changes the targets.
        return ticket


def split_ticket(
    *,
    ticket: Ticket,
    actor: User,
    subject: str,
    description: str,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Split a second problem off into a new ticket (one problem per ticket). Returns the NEW
    ticket: same organization, contract, product, contact and priority, its own number and
    registration time; both are linked (``split_from`` / ``split_tickets``)."""
    now = _now(now)
    with transaction.atomic():
        source = _lock(ticket)
        _authorize(source, actor, "split")
        _require_state(source, *ACTION_STATES["split"])
        description = _require_text(
            description, "description", _("Describe the problem that becomes a new request.")
        )
        new = Ticket.objects.create(
            number=next_ticket_number(now=now),
            organization_id=source.organization_id,
            contact_id=source.contact_id,
            contract_id=source.contract_id,
            regulation_id=source.regulation_id,
            level_id=source.level_id,
            product_id=source.product_id,
            version=source.version,
            license_key_id=source.license_key_id,
            os_version=source.os_version,
            service_pack=source.service_pack,
            channel=source.channel,
            priority_id=source.priority_id,
            team_id=source.team_id,
            language=source.language,
            subject=(subject.strip() or description[:80])[:200],
            description=description,
            registered_at=now,
            registered_by=actor,
            split_from=source,
        )
        _event(
            new,
            actor,
            TicketEvent.Kind.REGISTERED,
            now,
            data={
                "channel": new.channel,
                "priority": new.priority.code,
                "split_from": source.number,
            },
        )
        _event(
            source, actor, TicketEvent.Kind.SPLIT, now, body=new.subject, data={"to": new.number}
        )
        contact = new.contact.user
        with translation.override(contact.language):
            priority_name = new.priority.tr("name")
            level_name = new.level.tr("name")
        _notify_customer(
            new, "ticket_registered", {"priority_name": priority_name, "level_name": level_name}
        )
        _save(source, [], now)
        _ticket_changed(new, now)
        return new


def merge_ticket(
    *,
    ticket: Ticket,
    actor: User,
    target: Ticket,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """Merge ``ticket`` into ``target`` (same organization): the merged ticket closes as a
    duplicate pointing at the target; both timelines record it, nothing is deleted."""
    now = _now(now)
    with transaction.atomic():
        # Both rows locked, always in id order, so two opposite merges cannot deadlock.
        rows = Ticket.objects.select_for_update().filter(pk__in=[ticket.pk, target.pk])
        locked = {t.pk: t for t in rows.order_by("pk")}
        source, target = locked[ticket.pk], locked[target.pk]
        _authorize(source, actor, "merge")
        if not access.can_see_ticket(actor, target) or (
            target.organization_id != source.organization_id
        ):
            raise TicketActionError("not_found", _("Not found."), status=404, fields=["target"])
        if source.pk == target.pk:
            raise TicketActionError(
                "invalid",
                _("A request cannot be merged into itself."),
                status=422,
                fields=["target"],
            )
        _require_state(source, *ACTION_STATES["merge"])
        if target.state == State.CLOSED:
            raise TicketActionError(
                "invalid_state",
                _("Request %(number)s is closed; merge into an open request.")
                % {"number": target.number},
            )
        reason = reason.strip()
        _event(
            source, actor, TicketEvent.Kind.MERGED, now, body=reason, data={"into": target.number}
        )
        fields = _set_state(
            source,
            actor,
            now,
            State.CLOSED,
            action="merge",
            reason=reason,
            close_reason=CloseReason.DUPLICATE,
            extra={"into": target.number},
        )
        source.merged_into = target
        _event(
            target,
            actor,
            TicketEvent.Kind.MERGED_IN,
            now,
            body=reason,
            data={"from": source.number},
        )
        _notify_customer(
            source,
            "ticket_closed",
            {"close_reason_label": CloseReason.DUPLICATE.label, "reason": reason, "target": target},
        )
        _save(target, [], now)
        return _save(source, [*fields, "merged_into"], now)


def reopen_ticket(
    *, ticket: Ticket, actor: User, reason: str, now: datetime.datetime | None = None
) -> Ticket:
    """An agent reopens a closed ticket with a reason; closed → in_progress."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _authorize(ticket, actor, "reopen")
        _require_state(ticket, *ACTION_STATES["reopen"])
        if ticket.merged_into is not None:
            raise TicketActionError(
                "merged",
                _("Request %(number)s was merged into %(target)s; continue there.")
                % {"number": ticket.number, "target": ticket.merged_into.number},
            )
        reason = _require_text(reason, "reason", _("Say why the request is reopened."))
        fields = _set_state(ticket, actor, now, State.IN_PROGRESS, action="reopen", reason=reason)
        _notify_customer(ticket, "ticket_reopened", {"reason": reason})
        return _save(ticket, fields, now)


def withdraw_ticket(
    *, ticket: Ticket, actor: User, reason: str = "", now: datetime.datetime | None = None
) -> Ticket:
    """The customer withdraws the request; it closes with reason withdrawn."""
    return _close_by_customer(
        ticket=ticket,
        actor=actor,
        action="withdraw",
        close_reason=CloseReason.WITHDRAWN,
        activity="withdrawn",
        text=reason,
        now=now,
    )


AGENT_CLOSE_REASONS = (CloseReason.NOT_ENTITLED, CloseReason.NO_RESPONSE)


def close_ticket(
    *,
    ticket: Ticket,
    actor: User | None,
    close_reason: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Ticket:
    """Close without the customer: not_entitled (by the working agent, reason required) or
    no_response (the agent, or the silence sweep with ``actor=None``). Confirmed, withdrawn and
    duplicate closures have their own services; see also ``close_by_regulation``."""
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        if actor is not None or close_reason != CloseReason.NO_RESPONSE:
            if actor is None:
                raise TicketActionError("forbidden", _("Only agents close requests."), status=403)
            _authorize(ticket, actor, "close")
        if close_reason not in AGENT_CLOSE_REASONS:
            raise TicketActionError(
                "invalid",
                _("Choose a reason to close the request."),
                status=422,
                fields=["close_reason"],
            )
        _require_state(ticket, *ACTION_STATES["close"])
        reason = reason.strip()
        if close_reason == CloseReason.NOT_ENTITLED:
            reason = _require_text(
                reason, "reason", _("Say why the customer is not entitled to support.")
            )
        fields = _set_state(
            ticket,
            actor,
            now,
            State.CLOSED,
            action="close",
            reason=reason,
            close_reason=close_reason,
        )
        _notify_customer(
            ticket,
            "ticket_closed",
            {"close_reason_label": CloseReason(close_reason).label, "reason": reason},
        )
        return _save(ticket, fields, now)


def close_by_regulation(
    *, ticket: Ticket, close_reason: str, reason: str, now: datetime.datetime | None = None
) -> Ticket:
    """The regulation closes the request on its own (the SLA sweep, no actor): no_response after
    the customer's silence, or confirmed when a proposed solution was neither confirmed nor
    refused in time (confirmation action "close"). The reason goes onto the timeline and into
    the customer's e-mail."""
    if close_reason == CloseReason.NO_RESPONSE:
        return close_ticket(
            ticket=ticket, actor=None, close_reason=close_reason, reason=reason, now=now
        )
    if close_reason != CloseReason.CONFIRMED:
        raise ValueError(f"The regulation does not close requests as {close_reason!r}")
    now = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_state(ticket, State.SOLUTION_PROPOSED)
        fields = _set_state(
            ticket,
            None,
            now,
            State.CLOSED,
            action="confirmation_timeout",
            reason=reason,
            close_reason=CloseReason.CONFIRMED,
        )
        _notify_customer(
            ticket,
            "ticket_closed",
            {"close_reason_label": CloseReason.CONFIRMED.label, "reason": reason},
        )
        return _save(ticket, fields, now)


def close_not_entitled(
    *, ticket: Ticket, actor: User, reason: str, now: datetime.datetime | None = None
) -> Ticket:
    """An agent closes a request the customer is not entitled to; the reason is required."""
    return close_ticket(
        ticket=ticket, actor=actor, close_reason=CloseReason.NOT_ENTITLED, reason=reason, now=now
    )
