"""Entitlement: may this request exist? Which contract it falls under, and every rule of the
regulation that decides it (known contact and contract, the contract active on the regulation's
day, the product covered and not a consumer product, the required fields, the channel, the
priority). Registration in every channel asks ``check_entitlement``; a refusal says why and what
to do.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportdesk.accounts.models import Contact
from supportdesk.catalog.models import Product
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.formatting import format_date
from supportdesk.regulations.models import (
    Channel,
    ChannelRule,
    HotlineNumber,
    Priority,
    RegistrationField,
    Regulation,
    RequiredField,
    SupportLevel,
)
from supportdesk.regulations.rules import CompiledRules, compiled_rules


class RefusalReason(models.TextChoices):
    UNKNOWN_CONTRACT = "unknown_contract", gettext_lazy("Unknown Support ID")
    UNKNOWN_LICENSE_KEY = "unknown_license_key", gettext_lazy("Unknown license key")
    UNKNOWN_CONTACT = "unknown_contact", gettext_lazy("Unknown Support Contact ID")
    CONTRACT_EXPIRED = "contract_expired", gettext_lazy("Contract expired")
    CONTRACT_NOT_STARTED = "contract_not_started", gettext_lazy("Contract not yet valid")
    PRODUCT_NOT_COVERED = "product_not_covered", gettext_lazy("Product not covered")
    CONSUMER_PRODUCT = "consumer_product", gettext_lazy("Consumer product")
    CHANNEL_NOT_ALLOWED = "channel_not_allowed", gettext_lazy("Channel not allowed")
    MISSING_FIELDS = "missing_fields", gettext_lazy("Required fields missing")
    WRONG_ORGANIZATION = "wrong_organization", gettext_lazy("Contract of another organization")
    INVALID = "invalid", gettext_lazy("Invalid request")


Reason = RefusalReason


class Submission(Protocol):
    """What a registration carries for the entitlement check, whichever channel it came by
    (``tickets.registration.RegistrationRequest``)."""

    @property
    def channel(self) -> str: ...
    @property
    def contact(self) -> Contact | None: ...
    @property
    def support_id(self) -> str: ...
    @property
    def support_contact_id(self) -> str: ...
    @property
    def license_key(self) -> str: ...
    @property
    def product(self) -> Product | None: ...
    @property
    def priority_code(self) -> str: ...

    def value_of(self, name: str) -> object: ...


@dataclass
class Refusal(Exception):
    """The request may not exist; ``message`` says why and what to do."""

    reason: str
    message: str
    fields: list[str] = field(default_factory=list)
    contract: Contract | None = None
    organization_id: int | None = None


@dataclass(frozen=True)
class Entitlement:
    """Everything a registration that may proceed falls under."""

    contact: Contact
    contract: Contract
    license_key: LicenseKey | None
    product: Product
    priority: Priority


# --- The regulation's day -------------------------------------------------------------------


def regulation_day(regulation: Regulation, now: dt.datetime) -> dt.date:
    """The date at ``now`` in the regulation's calendar: contracts run by that day."""
    return now.astimezone(zoneinfo.ZoneInfo(regulation.calendar.timezone)).date()


def contract_status(contract: Contract, now: dt.datetime) -> str:
    """active, expired or not_started on the contract's regulation's day.

    Needs ``contract.regulation.calendar`` (select_related it for lists)."""
    day = regulation_day(contract.regulation, now)
    if contract.is_active_on(day):
        return "active"
    return "expired" if day > contract.valid_to else "not_started"


def active_contracts(*, organization_id: int, now: dt.datetime) -> list[Contract]:
    """The organization's contracts active today, each by its own regulation's day."""
    contracts = Contract.objects.filter(organization_id=organization_id).select_related(
        "level", "regulation__calendar"
    )
    return [c for c in contracts.order_by("support_id") if contract_status(c, now) == "active"]


# --- Channels and hotlines ------------------------------------------------------------------


def allowed_channel_rules(*, level: SupportLevel, product: Product | None = None) -> QuerySet:
    """The channel rules of the level's regulation that apply to this level and product."""
    rules = ChannelRule.objects.filter(regulation_id=level.regulation_id).filter(
        Q(levels__isnull=True) | Q(levels=level)
    )
    if product is not None:
        rules = rules.filter(Q(product_line__isnull=True) | Q(product_line_id=product.line_id))
    return rules.distinct()


def channel_allowed(*, level: SupportLevel, channel: str, product: Product | None) -> bool:
    rules = compiled_rules(level.regulation)
    product_line_id = product.line_id if product is not None else None
    return channel in rules.allowed_channels(level_id=level.pk, product_line_id=product_line_id)


def hotlines_for(*, level: SupportLevel) -> QuerySet:
    """Hotline numbers the customer of this level may call."""
    return (
        HotlineNumber.objects.filter(regulation_id=level.regulation_id, product_line__isnull=True)
        .filter(Q(levels__isnull=True) | Q(levels=level))
        .distinct()
        .order_by("order", "country")
    )


# --- The entitlement check ------------------------------------------------------------------

# Builds a refusal under the contract being checked: (reason, message, fields).
_Refuse = Callable[..., Refusal]


def check_entitlement(submission: Submission, *, now: dt.datetime) -> Entitlement:
    """Decide whether the request may exist; raise ``Refusal`` with the reason otherwise.

    Rules are checked in the order a person would fix them: who asks, under which contract,
    what the regulation requires, which product, whether the contract runs today, the channel,
    the priority.
    """
    contact = _resolve_contact(submission)
    contract, license_key = _resolve_contract(submission, contact)
    regulation: Regulation = contract.regulation
    rules = compiled_rules(regulation)
    organization_id = contract.organization_id

    def refuse(reason: str, message: str, fields: list[str] | None = None) -> Refusal:
        return Refusal(reason, message, fields or [], contract, organization_id)

    if contact is not None and contact.organization_id != organization_id:
        raise Refusal(
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
        raise refuse(
            Reason.MISSING_FIELDS,
            _("Say who is asking: choose a contact of organization %(org)s.")
            % {"org": contract.organization.name},
            ["contact"],
        )

    product = submission.product or (license_key.product if license_key else None)
    missing = missing_fields(submission, rules, product)
    if product is None and "product" not in missing:
        missing.append("product")
    if missing or product is None:
        labels = [str(RegistrationField(name).label) for name in missing]
        raise refuse(
            Reason.MISSING_FIELDS,
            _(
                "The regulation requires these fields to register a request: %(fields)s. Please "
                "fill them in and send the request again."
            )
            % {"fields": ", ".join(labels)},
            missing,
        )
    _check_product(contract, license_key, product, refuse)

    day = regulation_day(regulation, now)
    if day > contract.valid_to:
        raise refuse(
            Reason.CONTRACT_EXPIRED,
            _(
                "Contract %(support_id)s expired on %(date)s. Support is not provided under "
                "expired contracts. Please contact your account manager to renew it."
            )
            % {"support_id": contract.support_id, "date": format_date(contract.valid_to)},
        )
    if day < contract.valid_from:
        raise refuse(
            Reason.CONTRACT_NOT_STARTED,
            _(
                "Contract %(support_id)s is valid from %(date)s. Requests under it can be opened "
                "from that day."
            )
            % {"support_id": contract.support_id, "date": format_date(contract.valid_from)},
        )

    channels = rules.allowed_channels(level_id=contract.level_id, product_line_id=product.line_id)
    if submission.channel not in channels:
        allowed = sorted({str(Channel(channel).label) for channel in channels})
        raise refuse(
            Reason.CHANNEL_NOT_ALLOWED,
            _(
                "Requests through %(channel)s are not accepted for %(level)s support of "
                "%(product)s. Please use: %(allowed)s."
            )
            % {
                "channel": Channel(submission.channel).label,
                "level": contract.level.tr("name"),
                "product": product.name,
                "allowed": ", ".join(allowed) or "—",
            },
        )

    priority = _resolve_priority(submission, rules, regulation, refuse)
    return Entitlement(contact, contract, license_key, product, priority)


def missing_fields(
    submission: Submission, rules: CompiledRules, product: Product | None
) -> list[str]:
    """The regulation's required fields the submission leaves empty (every field of an any-of
    group when none of the group is given)."""
    values = {name: submission.value_of(name) for name in RegistrationField.values}
    values["product"] = product
    missing: list[str] = []
    for names in rules.required_groups:
        if not any(str(values[name] or "").strip() for name in names):
            missing.extend(names)
    return missing


def _check_product(
    contract: Contract, license_key: LicenseKey | None, product: Product, refuse: _Refuse
) -> None:
    if license_key is not None and license_key.product_id != product.pk:
        raise refuse(
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
        )
    if product.line.is_consumer:
        numbers = ", ".join(
            HotlineNumber.objects.filter(product_line=product.line).values_list("number", flat=True)
        )
        raise refuse(
            Reason.CONSUMER_PRODUCT,
            _(
                "%(product)s is served by the separate free consumer support line. Please call "
                "%(numbers)s."
            )
            % {"product": product.name, "numbers": numbers or "—"},
        )
    if not contract.products.filter(pk=product.pk).exists():
        raise refuse(
            Reason.PRODUCT_NOT_COVERED,
            _(
                "Contract %(support_id)s does not cover %(product)s. Choose a covered product, or "
                "contact your account manager to add it to the contract."
            )
            % {"support_id": contract.support_id, "product": product.name},
        )


def _resolve_contact(submission: Submission) -> Contact | None:
    given_id = submission.support_contact_id.strip()
    if submission.contact is not None:
        if given_id and submission.contact.support_contact_id != given_id:
            raise Refusal(
                Reason.UNKNOWN_CONTACT,
                _(
                    "Support Contact ID %(id)s is not yours. Enter your own Support Contact ID or "
                    "leave it empty."
                )
                % {"id": submission.support_contact_id},
                organization_id=submission.contact.organization_id,
            )
        return submission.contact
    if not given_id:
        return None
    contact = (
        Contact.objects.select_related("organization", "user")
        .filter(support_contact_id=given_id)
        .first()
    )
    if contact is None:
        raise Refusal(
            Reason.UNKNOWN_CONTACT,
            _(
                "Support Contact ID %(id)s is unknown. Check it against your contract papers, "
                "or give your Support ID."
            )
            % {"id": submission.support_contact_id},
        )
    return contact


def _resolve_contract(
    submission: Submission, contact: Contact | None
) -> tuple[Contract, LicenseKey | None]:
    contracts = Contract.objects.select_related("regulation__calendar", "level", "organization")
    organization_id = contact.organization_id if contact else None
    license_key = None
    contract = None
    if submission.license_key:
        license_key = (
            LicenseKey.objects.select_related("product__line", "contract")
            .filter(key=submission.license_key.strip())
            .first()
        )
        if license_key is None:
            raise Refusal(
                Reason.UNKNOWN_LICENSE_KEY,
                _("License key %(key)s is unknown. Check the key in your license certificate.")
                % {"key": submission.license_key},
                organization_id=organization_id,
            )
        contract = contracts.get(pk=license_key.contract_id)
    if submission.support_id:
        by_id = contracts.filter(support_id=submission.support_id.strip()).first()
        if by_id is None:
            raise Refusal(
                Reason.UNKNOWN_CONTRACT,
                _(
                    "Support ID %(id)s is unknown. Check the Support ID in your contract papers, "
                    "or ask your account manager."
                )
                % {"id": submission.support_id},
                organization_id=organization_id,
            )
        if contract is not None and contract.pk != by_id.pk:
            raise Refusal(
                Reason.UNKNOWN_LICENSE_KEY,
                _("License key %(key)s does not belong to contract %(support_id)s.")
                % {"key": submission.license_key, "support_id": by_id.support_id},
                contract=by_id,
                organization_id=by_id.organization_id,
            )
        contract = by_id
    if contract is None and contact is not None and submission.support_contact_id:
        # The Support Contact ID alone identifies the caller; the contract is the organization's
        # contract covering the product (the newest one, so an expired one is reported).
        candidates = contracts.filter(organization_id=contact.organization_id).order_by("-valid_to")
        product = submission.product
        covering = candidates.filter(products=product) if product else candidates
        contract = covering.first() or candidates.first()
    if contract is None:
        fields = identification_fields(organization_id=organization_id)
        raise Refusal(
            Reason.MISSING_FIELDS,
            _("Identify the contract. The regulation identifies it by: %(fields)s.")
            % {"fields": _(" or ").join(str(RegistrationField(name).label) for name in fields)},
            fields=fields,
            organization_id=organization_id,
        )
    return contract, license_key


IDENTIFYING_FIELDS = (
    RegistrationField.SUPPORT_ID,
    RegistrationField.SUPPORT_CONTACT_ID,
    RegistrationField.LICENSE_KEY,
)


def identification_fields(*, organization_id: int | None) -> list[str]:
    """The fields that identify a contract, as the regulations of the organization's contracts
    require them (every regulation's when the organization is not known): 000 asks for the
    Support ID or the Support Contact ID, 002 for the license key only."""
    regulations = Regulation.objects.all()
    if organization_id is not None:
        regulations = regulations.filter(contracts__organization_id=organization_id)
    required = set(
        RequiredField.objects.filter(
            regulation__in=regulations, field__in=IDENTIFYING_FIELDS
        ).values_list("field", flat=True)
    )
    return [name for name in IDENTIFYING_FIELDS if name in required] or list(IDENTIFYING_FIELDS)


def _resolve_priority(
    submission: Submission, rules: CompiledRules, regulation: Regulation, refuse: _Refuse
) -> Priority:
    priorities = rules.priorities
    if submission.priority_code:
        priority = priorities.get(submission.priority_code)
        if priority is None:
            raise refuse(
                Reason.INVALID,
                _("Priority %(code)s does not exist in this regulation. Choose one of: %(codes)s.")
                % {
                    "code": submission.priority_code,
                    "codes": ", ".join(priorities),
                },
                ["priority"],
            )
        return priority
    lowest = rules.lowest_priority()
    if lowest is None:
        raise RuntimeError(f"Regulation {regulation.code} defines no priorities")
    return lowest
