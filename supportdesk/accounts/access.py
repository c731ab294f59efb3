"""Every permission check. Every query a user can reach starts here.

List queries and single-object checks use the same functions, so they cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from supportdesk.accounts.models import Agent, Contact, User

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails


class AuthenticatedRequest(HttpRequest):
    """The type of a request behind ``@login_required`` or the API's authentication.

    Only for annotations (Django builds the real request): there ``request.user`` is a signed-in
    ``User``, never ``AnonymousUser``, so views pass it to the functions below and to the
    services as is. A view without such a guard annotates ``HttpRequest`` and narrows with
    ``request.user.is_authenticated`` itself.
    """

    user: User
    # Set on every request by django_htmx.middleware.HtmxMiddleware (config/settings.py).
    htmx: HtmxDetails


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


def visible_tickets(user: User) -> QuerySet:
    """The tickets this user may see: own, organization's (org admin), queue or all (agents)."""
    from supportdesk.tickets.models import Ticket

    tickets = Ticket.objects.all()
    agent = agent_of(user)
    if agent is not None:
        if agent.role in (Agent.Role.MANAGER, Agent.Role.ADMINISTRATOR, Agent.Role.DISPATCHER):
            return tickets
        return tickets.filter(team__in=agent.teams.all()) | tickets.filter(owner=agent)
    contact = contact_of(user)
    if contact is None:
        return tickets.none()
    if contact.is_org_admin:
        return tickets.filter(organization_id=contact.organization_id)
    return tickets.filter(contact=contact)


def get_ticket_for_user(user: User, number: str):
    """The ticket by number if the user may see it; 404 otherwise (no hint that it exists)."""
    ticket = visible_tickets(user).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


def visible_contracts(user: User) -> QuerySet:
    from supportdesk.contracts.models import Contract

    if is_agent(user):
        return Contract.objects.all()
    contact = contact_of(user)
    if contact is None:
        return Contract.objects.none()
    return Contract.objects.filter(organization_id=contact.organization_id)


def can_register_for_others(user: User) -> bool:
    """Dispatchers (and managers) register phone requests on a caller's behalf."""
    return is_agent(user, Agent.Role.DISPATCHER, Agent.Role.MANAGER, Agent.Role.ADMINISTRATOR)


# --- Ticket actions -------------------------------------------------------------------------
# Who may do what on a ticket they can see. The services in supportdesk/tickets/services.py call
# ``can_act`` after ``can_see_ticket``; the table is in docs/lifecycle.md.

MANAGING_ROLES = (Agent.Role.MANAGER, Agent.Role.ADMINISTRATOR)

CUSTOMER_ACTIONS = frozenset(
    {
        "customer_reply",
        "confirm_solution",
        "refuse_solution",
        "escalate",
        "withdraw",
    }
)
# The agent who works the ticket: its owning engineer, or a manager / administrator.
WORKER_ACTIONS = frozenset(
    {
        "public_reply",
        "request_diagnostics",
        "propose_solution",
        "split",
        "merge",
        "close",
    }
)
EITHER_SIDE_ACTIONS = frozenset({"propose_priority", "agree_work_method"})


def can_see_ticket(user: User, ticket) -> bool:
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def is_ticket_customer(user: User, ticket) -> bool:
    """The ticket's contact, or an organization administrator of the ticket's organization."""
    contact = contact_of(user)
    if contact is None:
        return False
    if contact.pk == ticket.contact_id:
        return True
    return contact.is_org_admin and contact.organization_id == ticket.organization_id


def is_ticket_worker(user: User, ticket) -> bool:
    """The owning engineer keeps the ticket until it is resolved; managers may always step in."""
    agent = agent_of(user)
    if agent is None:
        return False
    if agent.role in MANAGING_ROLES:
        return True
    return agent.role == Agent.Role.ENGINEER and ticket.owner_id == agent.pk


def can_act(user: User, ticket, action: str) -> bool:
    """Whether ``user`` may perform ``action`` on ``ticket`` (role and relation, not state)."""
    return can_see_ticket(user, ticket) and role_allows(user, ticket, action)


def role_allows(user: User, ticket, action: str) -> bool:
    """``can_act`` for a ticket already known to be visible to ``user`` (no query of its own),
    e.g. to decide which action forms a ticket page offers."""
    agent = agent_of(user)
    if action in CUSTOMER_ACTIONS:
        return is_ticket_customer(user, ticket)
    if action in WORKER_ACTIONS:
        return is_ticket_worker(user, ticket)
    if action in EITHER_SIDE_ACTIONS:
        return is_ticket_customer(user, ticket) or is_ticket_worker(user, ticket)
    if action == "take":
        return agent is not None and agent.role in (Agent.Role.ENGINEER, *MANAGING_ROLES)
    if action == "assign":
        # An unowned ticket: dispatchers and managers assign it. An owned one stays with its
        # engineer until resolved: only a manager, or the owner handing it over, reassigns it.
        if agent is None:
            return False
        if agent.role in MANAGING_ROLES:
            return True
        if ticket.owner_id is None:
            return agent.role == Agent.Role.DISPATCHER
        return ticket.owner_id == agent.pk
    if action == "internal_note":
        return agent is not None
    if action == "reopen":
        return is_ticket_worker(user, ticket) or (
            agent is not None and agent.role == Agent.Role.ENGINEER and ticket.owner_id is None
        )
    if action == "override_priority":
        return agent is not None and agent.role in MANAGING_ROLES
    return False


def get_attachment_for_user(user: User, attachment_id: int):
    """An attachment of a ticket the user may see; 404 otherwise, and for customers also when it
    belongs to an internal note."""
    from supportdesk.tickets.models import Attachment

    attachments = Attachment.objects.select_related("event").filter(
        ticket__in=visible_tickets(user)
    )
    if not is_agent(user):
        attachments = attachments.exclude(event__is_internal=True)
    attachment = attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return attachment
