"""The SLA report page and its downloads, shared by the workspace (managers) and the portal
(an organization's administrator): the same form, template and files; the contracts offered come
from ``access.report_contracts`` and the tickets from ``access.visible_tickets``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.audit.services import record_export
from supportdesk.contracts.models import Contract
from supportdesk.reports import exports
from supportdesk.reports.sla_report import SlaReport, sla_report

MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")
DOWNLOADS: dict[str, tuple[str, str, Callable[[SlaReport], str | bytes]]] = {
    "csv": ("csv", "text/csv; charset=utf-8", exports.to_csv),
    "xlsx": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.to_xlsx,
    ),
}


def previous_month(today: dt.date) -> str:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}"


class SlaReportForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none())
    month = forms.CharField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("Tickets registered in this month of the regulation's calendar."),
    )

    def __init__(self, *args, contracts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contract"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contracts

    def clean_month(self) -> dt.date:
        match = MONTH.fullmatch(self.cleaned_data["month"].strip())
        try:
            if match is None:
                raise ValueError
            return dt.date(int(match["year"]), int(match["month"]), 1)
        except ValueError as error:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from error


def sla_report_page(request: AuthenticatedRequest, *, url_name: str) -> HttpResponse:
    """The form; with a valid choice the report, or its CSV / XLSX with ``?format=``."""
    contracts = access.report_contracts(request.user).select_related(
        "organization", "regulation__calendar", "level"
    )
    now = timezone.now()
    data = request.GET if "contract" in request.GET else None
    initial = {"month": previous_month(timezone.localdate(now))}
    form = SlaReportForm(data, initial=initial, contracts=contracts)
    report = None
    status = 200
    if data is not None:
        if form.is_valid():
            report = sla_report(
                contract=form.cleaned_data["contract"],
                month=form.cleaned_data["month"],
                now=now,
                visible=access.visible_tickets(request.user),
            )
        else:
            status = 400
    download = DOWNLOADS.get(request.GET.get("format", ""))
    if report is not None and download is not None:
        extension, content_type, render_file = download
        response = HttpResponse(render_file(report), content_type=content_type)
        name = exports.filename(report, extension)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        record_export(request.user, what=name, count=sum(1 for _row in exports.rows(report)))
        return response
    query = request.GET.copy()
    query.pop("format", None)
    context = {"form": form, "report": report, "url_name": url_name, "query": query.urlencode()}
    return render(request, "reports/sla_report.html", context, status=status)
