"""The account managers' page: refused registrations that are real leads (an expired contract,
a product the contract does not cover), newest first, with a CSV export."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.tickets.models import RefusedRegistration

LIMIT = 500


@login_required
def leads(request: AuthenticatedRequest) -> HttpResponse:
    if not access.can_see_sales_leads(request.user):
        raise PermissionDenied
    rows = list(
        access.visible_sales_leads(request.user)
        .select_related("organization", "contract__level", "requested_by")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    if request.GET.get("format") == "csv":
        return _csv(rows)
    return render(request, "workspace/sales_leads.html", {"leads": rows})


def _csv(rows: list[RefusedRegistration]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="sales-leads-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "organization", "contract", "level", "valid_to", "reason", "channel", "asked_by"]
    )
    for lead in rows:
        contract = lead.contract
        writer.writerow(
            [
                timezone.localtime(lead.created_at).isoformat(timespec="minutes"),
                _cell(lead.organization.name if lead.organization else ""),
                _cell(contract.support_id if contract else ""),
                _cell(contract.level.code if contract else ""),
                contract.valid_to.isoformat() if contract else "",
                lead.reason,
                lead.channel,
                _cell(lead.requested_by.email if lead.requested_by else ""),
            ]
        )
    return response


def _cell(value: str) -> str:
    """No spreadsheet formulas from stored text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
