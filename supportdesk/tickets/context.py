"""Customer context: what an agent sees of a customer beside a ticket or a caller.

``customer_context`` gathers, for an organization and optionally one of its contacts, the
organization's open and recently closed requests, its contracts with level and expiry, and the
contact's other requests. Every ticket list goes through ``access.visible_tickets`` (an engineer
sees only what their queues show; PITFALLS: the leak is on the side path, "a sidebar listing a
customer's other tickets"). Contracts are shown to agents only. A fixed number of queries
(four, plus the agent lookup), whatever the customer's history: each list is bounded.

Rendered by ``templates/workspace/_customer_context.html`` (the workspace ticket page, the
dispatcher's caller card).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from supportdesk import access
from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.contracts.models import Contract
from supportdesk.tickets.models import Ticket

LIMIT = 8
RECENT_DAYS = 90
# A contract expiring within this many days is flagged.
EXPIRY_WARNING_DAYS = 30
LIST_RELATED = ("priority", "contact__user", "owner__user")


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    active: bool
    expires_soon: bool
    days_left: int


@dataclass
class CustomerContext:
    organization: Organization
    contact: Contact | None
    open_tickets: list[Ticket] = field(default_factory=list)
    recent_tickets: list[Ticket] = field(default_factory=list)
    contact_tickets: list[Ticket] = field(default_factory=list)
    contracts: list[ContractRow] = field(default_factory=list)
    limit: int = LIMIT

    @property
    def open_more(self) -> bool:
        return len(self.open_tickets) >= self.limit


def customer_context(
    user: User,
    *,
    organization: Organization,
    contact: Contact | None = None,
    exclude: Ticket | None = None,
    now: dt.datetime | None = None,
    limit: int = LIMIT,
) -> CustomerContext:
    """The context ``user`` may see of ``organization`` (and ``contact``), minus ``exclude``."""
    now = now or timezone.now()
    context = CustomerContext(organization=organization, contact=contact, limit=limit)
    visible = access.visible_tickets(user).filter(organization_id=organization.pk)
    if exclude is not None:
        visible = visible.exclude(pk=exclude.pk)
    visible = visible.select_related(*LIST_RELATED)
    context.open_tickets = list(
        visible.filter(closed_at__isnull=True).order_by("sla_due_at", "-registered_at", "id")[
            :limit
        ]
    )
    context.recent_tickets = list(
        visible.filter(closed_at__gte=now - dt.timedelta(days=RECENT_DAYS)).order_by(
            "-closed_at", "-id"
        )[:limit]
    )
    if contact is not None:
        context.contact_tickets = list(_newest(visible.filter(contact_id=contact.pk))[:limit])
    if access.is_agent(user):
        context.contracts = contract_rows(organization, today=timezone.localdate(now))
    return context


def _newest(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.order_by("-registered_at", "-id")


def contract_rows(organization: Organization, *, today: dt.date) -> list[ContractRow]:
    """The organization's contracts, current first, with level and how long they still run."""
    contracts = (
        Contract.objects.filter(organization_id=organization.pk)
        .select_related("level", "regulation")
        .order_by("-valid_to", "support_id")
    )
    rows = []
    for contract in contracts:
        days_left = (contract.valid_to - today).days
        active = contract.is_active_on(today)
        rows.append(
            ContractRow(
                contract=contract,
                active=active,
                expires_soon=active and days_left <= EXPIRY_WARNING_DAYS,
                days_left=days_left,
            )
        )
    return rows
