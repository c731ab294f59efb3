"""Agent speed on the ticket page: canned replies, who else is here (presence), timeline order.

Presence is polled: the page posts every few seconds (htmx) whether the agent is typing; each
post stores the agent in the cache for ``PRESENCE_TTL`` seconds under the ticket and answers with
the other agents there now. Nothing is written to the database.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Language, User
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.queries import ticket_for_page
from supportdesk.workspace.models import CannedReply

PRESENCE_TTL = 30  # seconds; the page reports every 10
TIMELINE_ORDER = "timeline_order"  # session key: "newest" or "oldest"


def canned_groups(ticket: Ticket, user: User) -> list[dict[str, Any]]:
    """The canned replies offered on ``ticket``, filled in, grouped by language (the ticket's
    language first)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for reply in CannedReply.for_ticket(ticket):
        groups.setdefault(reply.language, []).append(
            {"pk": reply.pk, "title": reply.title, "text": reply.render(ticket, user)}
        )
    order = sorted(groups, key=lambda language: (language != ticket.language, language))
    labels = dict(Language.choices)
    return [{"label": labels.get(lang, lang), "replies": groups[lang]} for lang in order]


def newest_first(request: HttpRequest) -> bool:
    """Whether the agent reads the timeline newest first: ``?timeline=newest|oldest`` sets it,
    the session keeps it for the next pages."""
    chosen = request.GET.get("timeline")
    if chosen in ("newest", "oldest"):
        request.session[TIMELINE_ORDER] = chosen
    return request.session.get(TIMELINE_ORDER) == "newest"


def _presence_key(ticket: Ticket) -> str:
    return f"presence:ticket:{ticket.pk}"


def record_presence(ticket: Ticket, user: User, *, typing: bool) -> list[dict[str, Any]]:
    """Note ``user`` on ``ticket`` now; return the other agents seen within the TTL."""
    now = time.time()
    key = _presence_key(ticket)
    seen: dict[str, dict[str, Any]] = {
        uid: entry
        for uid, entry in (cache.get(key) or {}).items()
        if now - entry.get("at", 0) < PRESENCE_TTL
    }
    seen[str(user.pk)] = {
        "name": user.get_full_name() or user.email,
        "typing": typing,
        "at": now,
    }
    cache.set(key, seen, PRESENCE_TTL)
    return [entry for uid, entry in seen.items() if uid != str(user.pk)]


@login_required
@require_POST
def presence(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The agent is on the ticket page (and maybe typing): answer with who else is there."""
    if not access.is_agent(request.user):
        raise PermissionDenied
    ticket = ticket_for_page(request.user, number)
    others = record_presence(ticket, request.user, typing=request.POST.get("typing") == "1")
    return render(request, "workspace/_presence.html", {"others": others})
