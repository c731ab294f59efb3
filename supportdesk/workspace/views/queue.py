"""The queue, the SLA cockpit: open tickets by nearest SLA deadline with the business time left,
counters per team, filters kept in the URL; or closed ones, newest first.

An htmx poll of the same URL gets the live part alone (``home.html#queue-live``), so the page
refreshes itself without losing its filters or its page. Query budget: at most ten statements
per view, whatever the filters (``test_queue_cockpit.py``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Agent, Team
from supportdesk.regulations.models import Priority
from supportdesk.sla.glance import glances
from supportdesk.tickets.models import TicketState
from supportdesk.tickets.queries import (
    AT_RISK,
    BREACHED,
    QueueFilter,
    filter_queue,
    newest_first_page,
    sla_queue_page,
    team_counters,
)

# How often the list refreshes itself (seconds); the countdowns tick in between.
REFRESH_SECONDS = 30
_MAX_ID = 2**63 - 1


def queue_teams(agent: Agent) -> QuerySet[Team]:
    """The teams an agent may pick a queue of: managers and administrators all, others their own."""
    if agent.role in access.MANAGING_ROLES:
        return Team.objects.order_by("name")
    return agent.teams.order_by("name")


def _id(params: QueryDict, name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and int(value) <= _MAX_ID else None


def chosen_filter(params: QueryDict, agent: Agent, team_ids: set[int]) -> QueueFilter:
    """The filter the URL asks for; a value that is not one of the choices is ignored."""
    team_id = _id(params, "team")
    state = params.get("state", "")
    risk = params.get("risk", "")
    return QueueFilter(
        closed=params.get("view") == "closed",
        team_id=team_id if team_id in team_ids else None,
        owner_id=agent.pk if params.get("mine") == "1" else None,
        unassigned=params.get("unassigned") == "1",
        regulation_id=_id(params, "regulation"),
        priority_id=_id(params, "priority"),
        organization_id=_id(params, "organization"),
        state=state if state in TicketState.values else "",
        risk=risk if risk in (BREACHED, AT_RISK) else "",
    )


def filter_params(chosen: QueueFilter) -> dict[str, str]:
    """The URL parameters that name ``chosen`` (the defaults left out)."""
    params = {
        "view": "closed" if chosen.closed else "",
        "team": chosen.team_id,
        "mine": "1" if chosen.owner_id else "",
        "unassigned": "1" if chosen.unassigned else "",
        "regulation": chosen.regulation_id,
        "priority": chosen.priority_id,
        "organization": chosen.organization_id,
        "state": chosen.state,
        "risk": chosen.risk,
    }
    return {key: str(value) for key, value in params.items() if value}


def end_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight after ``now`` in the viewer's time zone (the active one)."""
    local = timezone.localtime(now)
    return (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.agent_of(request.user)
    if agent is None:
        raise PermissionDenied
    now = timezone.now()
    day_end = end_of_day(now)
    counters = team_counters(queue_teams(agent), now=now, day_end=day_end)
    chosen = chosen_filter(request.GET, agent, {c.team.pk for c in counters})
    tickets = filter_queue(
        access.visible_tickets(request.user).select_related(
            "organization", "product", "priority", "team", "owner__user", "regulation"
        ),
        chosen,
        now=now,
        day_end=day_end,
    )
    after = request.GET.get("after", "")
    if chosen.closed:
        rows, next_cursor = newest_first_page(tickets, after)
    else:
        rows, next_cursor = sla_queue_page(tickets, after)
    standing = glances(rows, now=now)
    filters = filter_params(chosen)
    context = {
        "tickets": rows,
        "rows": [(ticket, standing[ticket.pk]) for ticket in rows],
        "counters": counters,
        "teams": [c.team for c in counters],
        "chosen": chosen,
        "team": next((c.team for c in counters if c.team.pk == chosen.team_id), None),
        "organization": rows[0].organization if rows and chosen.organization_id else None,
        "filters": filters,
        "first_url": f"?{urlencode(filters)}",
        "next_url": f"?{urlencode({**filters, 'after': next_cursor})}" if next_cursor else None,
        "is_first_page": not after,
        "now": now,
        "refresh_seconds": REFRESH_SECONDS,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "workspace/home.html#queue-live", context)
    context["priorities"] = list(
        Priority.objects.select_related("regulation").order_by("regulation__code", "rank")
    )
    context["states"] = TicketState.choices
    return render(request, "workspace/home.html", context)
