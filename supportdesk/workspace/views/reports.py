"""Managers' reports (the monthly SLA report per contract, supportdesk/ui/reports.py), and the
knowledge base draft an engineer makes from a proposed solution."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.kb.services import draft_from_solution
from supportdesk.ui.reports import sla_report_page


@login_required
def sla_report(request: AuthenticatedRequest) -> HttpResponse:
    if not (access.is_agent(request.user) and access.can_read_sla_reports(request.user)):
        raise PermissionDenied
    return sla_report_page(request, url_name="workspace:sla_report")


@login_required
@require_POST
def kb_draft(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """An engineer turns the ticket's proposed solution into a draft knowledge base article."""
    if not access.is_agent(request.user):
        raise PermissionDenied
    ticket = access.access_ticket(request.user, number)
    try:
        article = draft_from_solution(ticket=ticket, actor=request.user)
    except ValueError:
        messages.error(
            request, _("This request has no proposed solution to draft an article from.")
        )
        return redirect("workspace:ticket", number=ticket.number)
    messages.success(request, _("A draft article was created; edit and publish it in the admin."))
    if request.user.is_staff:
        return redirect("admin:kb_article_change", article.pk)
    return redirect("kb_article", pk=article.pk)
