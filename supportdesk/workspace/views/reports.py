"""Managers' reports: the monthly SLA report per contract (supportdesk/ui/reports.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.ui.reports import sla_report_page


@login_required
def sla_report(request: AuthenticatedRequest) -> HttpResponse:
    if not (access.is_agent(request.user) and access.can_read_sla_reports(request.user)):
        raise PermissionDenied
    return sla_report_page(request, url_name="workspace:sla_report")
