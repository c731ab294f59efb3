"""Every permission check. Every query a user can reach starts here.

List queries and single-object checks use the same functions, so they cannot disagree:
``access_ticket`` looks a ticket up *through* ``visible_tickets`` (one query, like Zulip's
``access_stream_by_id``), and the actions lock the row through the same filter.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from supportdesk.accounts.models import Agent, Contact, User
from supportdesk.contracts.models import Contract
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails


class AuthenticatedRequest(HttpRequest):
    """The type of a request behind ``@login_required`` or the API's authentication.

    Only for annotations (Django builds the real request): there ``request.user`` is a signed-in
    ``User``, never ``AnonymousUser``, so views pass it to the functions below and to the
    actions as is. A view without such a guard annotates ``HttpRequest`` and narrows with
    ``request.user.is_authenticated`` itself.
    """

    user: User
    # Set on every request by django_htmx.middleware.HtmxMiddleware (config/settings.py).
    htmx: HtmxDetails


MANAGING_ROLES = (Agent.Role.MANAGER, Agent.Role.ADMINISTRATOR)
# Roles that see every ticket; engineers see their teams' queues and what they own.
SEE_ALL_ROLES = (Agent.Role.MANAGER, Agent.Role.ADMINISTRATOR, Agent.Role.DISPATCHER)


def contact_of(user: User) -> Contact | None:
    if not user.is_authenticated:
        return None
    try:
        return user.contact
    except Contact.DoesNotExist:
        return None


def agent_of(user: User) -> Agent | None:
    if not user.is_authenticated:
        return None
    try:
        return user.agent
    except Agent.DoesNotExist:
        return None


def is_agent(user: User, *roles: str) -> bool:
    agent = agent_of(user)
    return agent is not None and (not roles or agent.role in roles)


# --- Tickets --------------------------------------------------------------------------------


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """The tickets this user may see: own, organization's (org admin), queue or all (agents)."""
    tickets = Ticket.objects.all()
    agent = agent_of(user)
    if agent is not None:
        if agent.role in SEE_ALL_ROLES:
            return tickets
        return tickets.filter(team__in=agent.teams.all()) | tickets.filter(owner=agent)
    contact = contact_of(user)
    if contact is None:
        return tickets.none()
    if contact.is_org_admin:
        return tickets.filter(organization_id=contact.organization_id)
    return tickets.filter(contact=contact)


def access_ticket(user: User, number: str, *, related: tuple[str, ...] = ()) -> Ticket:
    """The ticket by number if the user may see it, with ``related`` joined in, in one query;
    404 otherwise, with no hint that it exists."""
    ticket = visible_tickets(user).select_related(*related).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


def lock_visible_ticket(user: User, ticket_id: int) -> Ticket | None:
    """Lock the ticket row for an action, if ``user`` may see it: one query both checks and
    locks. None when the user may not see it. Call inside a transaction."""
    return (
        visible_tickets(user)
        .select_for_update(of=("self",))
        .select_related("owner__user", "contact__user", "regulation", "level", "priority")
        .filter(pk=ticket_id)
        .first()
    )


def timeline_events(ticket: Ticket, user: User) -> QuerySet[TicketEvent]:
    """The timeline ``user`` reads, oldest first: agents everything, customers every event but
    the internal ones. The one place where internal events are filtered out."""
    events = TicketEvent.objects.filter(ticket=ticket)
    if not is_agent(user):
        events = events.filter(is_internal=False)
    return events.select_related("actor__agent").order_by("created_at", "id")


def get_attachment_for_user(user: User, attachment_id: int) -> Attachment:
    """An attachment of a ticket the user may see; 404 otherwise, and for customers also when it
    belongs to an internal note."""
    attachments = Attachment.objects.select_related("event").filter(
        ticket__in=visible_tickets(user)
    )
    if not is_agent(user):
        attachments = attachments.exclude(event__is_internal=True)
    attachment = attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment


# --- Contracts ------------------------------------------------------------------------------


def visible_contracts(user: User) -> QuerySet[Contract]:
    if is_agent(user):
        return Contract.objects.all()
    contact = contact_of(user)
    if contact is None:
        return Contract.objects.none()
    return Contract.objects.filter(organization_id=contact.organization_id)


def can_read_sla_reports(user: User) -> bool:
    """Managers and administrators (workspace), an organization's administrator (portal)."""
    if is_agent(user, *MANAGING_ROLES):
        return True
    contact = contact_of(user)
    return contact is not None and contact.is_org_admin


def report_contracts(user: User) -> QuerySet[Contract]:
    """Contracts whose SLA report ``user`` may read: managers and administrators every one, an
    organization's administrator their organization's; nobody else any."""
    if is_agent(user, *MANAGING_ROLES):
        return Contract.objects.all()
    contact = contact_of(user)
    if contact is not None and contact.is_org_admin:
        return Contract.objects.filter(organization_id=contact.organization_id)
    return Contract.objects.none()


def can_register_for_others(user: User) -> bool:
    """Dispatchers (and managers) register phone requests on a caller's behalf."""
    return is_agent(user, Agent.Role.DISPATCHER, *MANAGING_ROLES)


# --- Ticket actions -------------------------------------------------------------------------
# Who may do what on a ticket they can see (role and relation; the states are in
# ``tickets.actions.base.ACTION_STATES``). The table is in docs/lifecycle.md.

CUSTOMER_ACTIONS = frozenset(
    {"customer_reply", "confirm_solution", "refuse_solution", "escalate", "withdraw"}
)
# The agent who works the ticket: its owning engineer, or a manager / administrator.
WORKER_ACTIONS = frozenset(
    {"public_reply", "request_diagnostics", "propose_solution", "split", "merge", "close"}
)
EITHER_SIDE_ACTIONS = frozenset({"propose_priority", "agree_work_method"})


def is_ticket_customer(user: User, ticket: Ticket) -> bool:
    """The ticket's contact, or an organization administrator of the ticket's organization."""
    contact = contact_of(user)
    if contact is None:
        return False
    if contact.pk == ticket.contact_id:
        return True
    return contact.is_org_admin and contact.organization_id == ticket.organization_id


def is_ticket_worker(user: User, ticket: Ticket) -> bool:
    """The owning engineer keeps the ticket until it is resolved; managers may always step in."""
    agent = agent_of(user)
    if agent is None:
        return False
    if agent.role in MANAGING_ROLES:
        return True
    return agent.role == Agent.Role.ENGINEER and ticket.owner_id == agent.pk


def role_allows(user: User, ticket: Ticket, action: str) -> bool:
    """Whether ``user`` may perform ``action`` on ``ticket`` in their role (no query of its own:
    ``ticket`` already passed a visibility check)."""
    agent = agent_of(user)
    if action in CUSTOMER_ACTIONS:
        return is_ticket_customer(user, ticket)
    if action in WORKER_ACTIONS:
        return is_ticket_worker(user, ticket)
    if action in EITHER_SIDE_ACTIONS:
        return is_ticket_customer(user, ticket) or is_ticket_worker(user, ticket)
    if agent is None:
        return False
    if action == "take":
        return agent.role in (Agent.Role.ENGINEER, *MANAGING_ROLES)
    if action == "assign":
        # An unowned ticket: dispatchers and managers assign it. An owned one stays with its
        # engineer until resolved: only a manager, or the owner handing it over, reassigns it.
        if agent.role in MANAGING_ROLES:
            return True
        if ticket.owner_id is None:
            return agent.role == Agent.Role.DISPATCHER
        return ticket.owner_id == agent.pk
    if action == "internal_note":
        return True
    if action == "reopen":
        return is_ticket_worker(user, ticket) or (
            agent.role == Agent.Role.ENGINEER and ticket.owner_id is None
        )
    if action == "override_priority":
        return agent.role in MANAGING_ROLES
    return False


def may_decide_proposal(user: User, ticket: Ticket, proposal_side: str) -> bool:
    """Only the other side answers a priority proposal: support answers the customer's
    (``proposal_side`` "customer"), the customer answers support's."""
    if proposal_side == "customer":
        return is_ticket_worker(user, ticket)
    return is_ticket_customer(user, ticket)


# --- Operations -----------------------------------------------------------------------------


def may_read_metrics(request: HttpRequest) -> bool:
    """``/metrics``: a request bearing ``METRICS_TOKEN``, or from ``METRICS_ALLOWED_IPS``
    (addresses or networks). Behind a proxy REMOTE_ADDR is the proxy's: see docs/operations.md."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_IPS
    )
