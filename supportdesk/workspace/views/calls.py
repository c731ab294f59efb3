"""The dispatcher's calls: answer a call (line, IVR choice, language), end it with its outcome,
leave a callback request, escalate or reopen a request at the caller's word; the callback queue
and the dispatcher's availability. Each view checks the role, validates, calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Contact, Organization
from supportdesk.calls import services
from supportdesk.calls.models import Call, CallbackRequest
from supportdesk.inputs import parse_id
from supportdesk.tickets.actions import TicketActionError
from supportdesk.workspace.call_forms import (
    AvailabilityForm,
    CallbackAttemptForm,
    CallbackForm,
    FinishCallForm,
    PhoneEscalationForm,
    PhoneReopenForm,
    StartCallForm,
)


def dispatcher_or_403(request: AuthenticatedRequest) -> None:
    if not access.can_register_for_others(request.user):
        raise PermissionDenied


def open_call(request: AuthenticatedRequest, pk: int | str | None) -> Call | None:
    """The dispatcher's own call in progress, or None."""
    call_id = parse_id(pk)
    if call_id is None:
        return None
    return (
        Call.objects.select_related("hotline__regulation__calendar", "hotline__product_line")
        .filter(pk=call_id, dispatcher=request.user, outcome=Call.Outcome.IN_PROGRESS)
        .first()
    )


def _own_call(request: AuthenticatedRequest, pk: int) -> Call | None:
    """The dispatcher's call in progress; None (with a message) when it is already closed."""
    dispatcher_or_403(request)
    call = open_call(request, pk)
    if call is None:
        messages.error(request, _("This call is already closed."))
    return call


def _console(call: Call, **params: str) -> HttpResponse:
    query = urlencode({"call": str(call.pk), **params})
    return redirect(f"{reverse('workspace:dispatch')}?{query}")


def call_panel(call: Call | None) -> dict | None:
    """What the console shows about the call in progress: the line's hours now, who should take
    it by the regulation's routing, and the consumer line's numbers."""
    if call is None or call.hotline is None:
        return None
    route = services.route_call(hotline=call.hotline, language=call.language, now=timezone.now())
    return {
        "call": call,
        "route": route,
        "consumer_lines": list(services.consumer_lines()),
        "callback_form": CallbackForm(initial={"phone": call.caller_phone}, auto_id="callback_%s"),
        "escalation_form": PhoneEscalationForm(auto_id="escalate_%s"),
        "reopen_form": PhoneReopenForm(auto_id="reopen_%s"),
    }


@login_required
@require_POST
def start(request: AuthenticatedRequest) -> HttpResponse:
    dispatcher_or_403(request)
    form = StartCallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the line and the caller's language."))
        return redirect("workspace:dispatch")
    data = form.cleaned_data
    call = services.start_call(
        dispatcher=request.user,
        hotline=data["hotline"],
        ivr_branch=data["ivr_branch"],
        language=data["language"],
        caller_phone=data["caller_phone"],
    )
    if call.caller_phone:
        return _console(call, q=call.caller_phone)
    return _console(call)


@login_required
@require_POST
def finish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = _own_call(request, pk)
    if call is None:
        return redirect("workspace:dispatch")
    form = FinishCallForm(request.POST)
    if form.is_valid():
        services.finish_call(
            call=call,
            outcome=form.cleaned_data["outcome"],
            organization=_organization(request),
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("The call is recorded."))
    return redirect("workspace:dispatch")


@login_required
@require_POST
def callback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = _own_call(request, pk)
    if call is None:
        return redirect("workspace:dispatch")
    form = CallbackForm(request.POST)
    if form.is_valid():
        try:
            created = services.request_callback(
                call=call,
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data["note"],
                contact=_contact(request),
            )
        except services.CallError as error:
            messages.error(request, error.message)
            return _console(call)
        messages.success(
            request,
            _("Callback requested; due %(due)s.")
            % {"due": timezone.localtime(created.due_at).strftime("%d.%m.%Y %H:%M")},
        )
    return redirect("workspace:dispatch")


@login_required
@require_POST
def escalate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _ticket_step(request, pk, PhoneEscalationForm, _("The request is escalated."))


@login_required
@require_POST
def reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _ticket_step(request, pk, PhoneReopenForm, _("The request is reopened."))


def _ticket_step(
    request: AuthenticatedRequest,
    pk: int,
    form_class: type[PhoneEscalationForm] | type[PhoneReopenForm],
    done: str,
) -> HttpResponse:
    call = _own_call(request, pk)
    if call is None:
        return redirect("workspace:dispatch")
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the request number and the reason."))
        return _console(call)
    data = form.cleaned_data
    try:
        ticket = services.ticket_for_call(request.user, data["number"])
        if form_class is PhoneEscalationForm:
            services.escalate_by_phone(
                call=call, ticket=ticket, reason=data["reason"], text=data["text"]
            )
        else:
            services.reopen_by_phone(call=call, ticket=ticket, reason=data["reason"])
    except TicketActionError as error:
        messages.error(request, error.message)
        return _console(call, org=str(_organization_id(request)))
    messages.success(request, f"{done} {ticket.number}")
    return redirect("workspace:ticket", ticket.number)


def _organization_id(request: AuthenticatedRequest) -> str:
    value = request.POST.get("organization", "")
    return value if parse_id(value) is not None else ""


def _organization(request: AuthenticatedRequest) -> Organization | None:
    """The organization the dispatcher had looked up when the call ended, if any."""
    from_id = _organization_id(request)
    return Organization.objects.filter(pk=int(from_id)).first() if from_id else None


def _contact(request: AuthenticatedRequest) -> Contact | None:
    contact_id = parse_id(request.POST.get("contact", ""))
    return Contact.objects.filter(pk=contact_id).first() if contact_id is not None else None


# --- Callback queue and availability --------------------------------------------------------


@login_required
def callbacks(request: AuthenticatedRequest) -> HttpResponse:
    dispatcher_or_403(request)
    context = {
        "callbacks": list(services.open_callbacks()[:200]),
        "form": CallbackAttemptForm(),
        "now": timezone.now(),
    }
    return render(request, "workspace/callbacks.html", context)


@login_required
@require_POST
def callback_attempt(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    dispatcher_or_403(request)
    callback_request = get_object_or_404(CallbackRequest, pk=pk)
    form = CallbackAttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the caller was reached."))
        return redirect("workspace:callbacks")
    data = form.cleaned_data
    ticket = None
    try:
        if data["number"]:
            ticket = services.ticket_for_call(request.user, data["number"])
        result = services.record_callback_attempt(
            callback=callback_request,
            dispatcher=request.user,
            reached=data["reached"],
            ticket=ticket,
            result=data["result"],
        )
    except (services.CallError, TicketActionError) as error:
        messages.error(request, error.message)
        return redirect("workspace:callbacks")
    messages.success(request, str(result.get_state_display()))
    return redirect("workspace:callbacks")


@login_required
@require_POST
def availability(request: AuthenticatedRequest) -> HttpResponse:
    dispatcher_or_403(request)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        services.set_availability(dispatcher=request.user, available=form.cleaned_data["available"])
    return redirect("workspace:dispatch")
