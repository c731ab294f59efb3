"""Managers' view of background work: the outbox backlog and failures, the latest messages with
their delivery attempts ("the mail view"), and the SLA sweep backlog."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.formatting import format_age
from supportdesk.inputs import parse_id
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.relay import outbox_health
from supportdesk.outbox.services import ResendRefused, resend_message
from supportdesk.sla.sweep import sweep_backlog

OUTBOX_PAGE = 50
# Beyond these ages the relay or the sweep is not keeping up: the page shows them as a warning.
# The relay runs every few seconds and the sweep every 30 s (config/celery.py).
OUTBOX_LAG_WARNING = datetime.timedelta(minutes=15)
SWEEP_LAG_WARNING = datetime.timedelta(minutes=5)


def _manager_or_403(request: AuthenticatedRequest) -> None:
    if not access.is_agent(request.user, *access.MANAGING_ROLES):
        raise PermissionDenied


@login_required
def outbox(request: AuthenticatedRequest) -> HttpResponse:
    """Managers' view of background work: the outbox backlog and failures, the latest messages
    with their delivery attempts, and the SLA sweep backlog."""
    _manager_or_403(request)
    now = timezone.now()
    state = request.GET.get("state", "")
    if state not in OutboxMessage.State.values:
        state = ""
    rows = OutboxMessage.objects.select_related("ticket").prefetch_related("deliveries")
    if state:
        rows = rows.filter(state=state)
    health = outbox_health(now=now)
    sweep = sweep_backlog(now=now)
    context = {
        "health": health,
        "outbox_age": format_age(health["oldest_pending_seconds"]),
        "outbox_lagging": health["oldest_pending_seconds"] > OUTBOX_LAG_WARNING.total_seconds(),
        "sweep": sweep,
        "sweep_age": format_age(sweep["oldest_seconds"]),
        "sweep_lagging": sweep["late"] > SWEEP_LAG_WARNING,
        "outbox_messages": list(rows.order_by("-id")[:OUTBOX_PAGE]),
        "state": state,
        "states": OutboxMessage.State.choices,
        "page_size": OUTBOX_PAGE,
    }
    return render(request, "workspace/outbox.html", context)


@login_required
def outbox_message(request: AuthenticatedRequest) -> HttpResponse:
    """One outbox message as it was written ("the mail view"): headers, the text body (escaped,
    never rendered as HTML) and every delivery attempt. The id is a query parameter: ?id=."""
    _manager_or_403(request)
    pk = parse_id(request.GET.get("id"))
    message = OutboxMessage.objects.select_related("ticket").filter(pk=pk).first() if pk else None
    if message is None:
        raise Http404
    context = {
        "message": message,
        "deliveries": list(message.deliveries.order_by("started_at")),
        "resends": list(message.resends.select_related("requested_by").order_by("requested_at")),
        "may_resend": message.state == OutboxMessage.State.FAILED or message.slow_since is not None,
    }
    return render(request, "workspace/outbox_message.html", context)


@login_required
@require_POST
def outbox_resend(request: AuthenticatedRequest) -> HttpResponse:
    """A manager re-sends a failed e-mail (form field ``id``); back to its mail view."""
    _manager_or_403(request)
    pk = request.POST.get("id", "")
    if not (pk.isascii() and pk.isdigit()):
        raise Http404
    try:
        resend_message(message_id=int(pk), actor=request.user)
    except OutboxMessage.DoesNotExist as exc:
        raise Http404 from exc
    except ResendRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The e-mail will be sent again at the relay's next pass."))
    return HttpResponseRedirect(f"{reverse('workspace:outbox_message')}?id={int(pk)}")
