"""The queue: open tickets by nearest SLA deadline (or closed ones, newest first), per team and
optionally only the agent's own."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Agent, Team
from supportdesk.tickets.queries import newest_first_page, sla_queue_page


def queue_teams(agent: Agent) -> list[Team]:
    """The teams an agent may pick a queue of: managers and administrators all, others their own."""
    if agent.role in access.MANAGING_ROLES:
        return list(Team.objects.order_by("name"))
    return list(agent.teams.order_by("name"))


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.agent_of(request.user)
    if agent is None:
        raise PermissionDenied
    teams = queue_teams(agent)
    team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
    mine = request.GET.get("mine") == "1"
    view = "closed" if request.GET.get("view") == "closed" else "open"
    tickets = access.visible_tickets(request.user).select_related(
        "organization", "product", "priority", "team", "owner__user"
    )
    if team is not None:
        tickets = tickets.filter(team=team)
    if mine:
        tickets = tickets.filter(owner=agent)
    after = request.GET.get("after", "")
    if view == "closed":
        rows, next_cursor = newest_first_page(tickets.filter(closed_at__isnull=False), after)
    else:
        rows, next_cursor = sla_queue_page(tickets.filter(closed_at__isnull=True), after)
    filters = {"view": view, "team": team.pk if team else "", "mine": "1" if mine else ""}
    filters = {key: value for key, value in filters.items() if value and value != "open"}
    context = {
        "tickets": rows,
        "teams": teams,
        "team": team,
        "mine": mine,
        "view": view,
        "filters": filters,
        "first_url": f"?{urlencode(filters)}",
        "next_url": f"?{urlencode({**filters, 'after': next_cursor})}" if next_cursor else None,
        "is_first_page": not after,
    }
    return render(request, "workspace/home.html", context)
