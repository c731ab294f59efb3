"""The manager dashboard: today's risk, the flow of tickets, SLA compliance for a period,
business-time statistics, the load per engineer (numbers from supportdesk/reports/dashboard.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.kb.services import deflection
from supportdesk.reports import dashboard as numbers


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and (end < start or (end - start).days > 366):
            raise forms.ValidationError(
                _("Choose a period of at most a year, its end after its start.")
            )
        return data


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    if not access.is_agent(request.user, *access.MANAGING_ROLES):
        raise PermissionDenied
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
    today = now.astimezone(zone).date()
    start, end = last_month(today)
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    status = 200
    if form.is_bound:
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            status = 400
    period = (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    )
    end_of_today = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    tickets = access.visible_tickets(request.user)
    risk = numbers.team_risk(tickets, now=now, end_of_today=end_of_today)
    context = {
        "form": form,
        "start": start,
        "end": end,
        "risk": risk,
        "risk_total": {
            key: sum(row[key] for row in risk)
            for key in ("open", "breached", "at_risk", "unassigned", "waiting")
        },
        "flow": numbers.daily_flow(tickets, today=today, zone=zone),
        "compliance": {
            by: numbers.compliance(tickets, start=period[0], end=period[1], by=by)
            for by in ("regulation", "level", "priority")
        },
        "stats": numbers.business_time_stats(tickets, start=period[0], end=period[1], now=now),
        "load": numbers.engineer_load(tickets, now=now),
        "deflection": deflection(start=period[0], end=period[1]),
        "satisfaction": {
            by: numbers.satisfaction(tickets, start=period[0], end=period[1], by=by)
            for by in numbers.SATISFACTION_GROUPS
        },
    }
    return render(request, "workspace/dashboard.html", context, status=status)
