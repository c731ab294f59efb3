"""Every permission check. Every query a user can reach starts here.

List queries and single-object checks use the same functions, so they cannot disagree.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from supportdesk.accounts.models import Agent, Contact, User


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
