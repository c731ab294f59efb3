"""Incoming mail for agents: the quarantine list, one message (headers, text, the sanitized HTML
in a sandboxed frame), reprocess, and register a request from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.inputs import parse_id
from supportdesk.mail.fields import read_identification
from supportdesk.mail.models import InboundMessage
from supportdesk.mail.quarantine import (
    QuarantineError,
    create_ticket_from_message,
    open_quarantine,
    reparse,
    reprocess_message,
)
from supportdesk.regulations.models import Channel
from supportdesk.tickets.registration import RegistrationRefused
from supportdesk.workspace.forms import MailTicketForm

RECENT = 50


def _mail_handler_or_403(request: AuthenticatedRequest) -> None:
    if not access.may_handle_incoming_mail(request.user):
        raise PermissionDenied


def _record(request: AuthenticatedRequest) -> InboundMessage:
    """The message of ``?id=``; 404 for anything else. Call after the role check."""
    pk = parse_id(request.GET.get("id", ""))
    record = (
        InboundMessage.objects.select_related("ticket", "mailbox").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if record is None:
        raise Http404
    return record


def _message_url(record: InboundMessage) -> str:
    return f"{reverse('workspace:mail_message')}?id={record.pk}"


@login_required
def mail_list(request: AuthenticatedRequest) -> HttpResponse:
    _mail_handler_or_403(request)
    recent = InboundMessage.objects.select_related("ticket").defer("raw", "html", "text")[:RECENT]
    context = {"quarantine": open_quarantine(), "recent": list(recent), "page_size": RECENT}
    return render(request, "workspace/mail_list.html", context)


def _initial(record: InboundMessage) -> dict:
    mail = reparse(record)
    if mail is None:
        return {"contact_email": record.sender, "subject": record.subject[:200]}
    found = read_identification(mail.subject, mail.text, None)
    return {
        "contact_email": mail.sender,
        "support_id": found.support_id,
        "support_contact_id": found.support_contact_id,
        "license_key": found.license_key,
        "product": found.product,
        "version": found.version,
        "os_version": found.os_version,
        "service_pack": found.service_pack,
        "priority": found.priority_code,
        "subject": mail.subject[:200],
        "description": mail.text[:20_000],
    }


@login_required
def mail_message(request: AuthenticatedRequest) -> HttpResponse:
    _mail_handler_or_403(request)
    record = _record(request)
    form = MailTicketForm(
        request.POST if request.method == "POST" else None, initial=_initial(record)
    )
    refusal = None
    if request.method == "POST" and form.is_valid():
        contact = form.cleaned_data["contact_email"]
        try:
            ticket = create_ticket_from_message(
                record_id=record.pk,
                actor=request.user,
                request=form.registration_request(
                    channel=Channel.EMAIL,
                    requested_by=request.user,
                    contact=contact,
                    extra={"inbound_message": record.pk},
                ),
            )
        except RegistrationRefused as refused:
            refusal = refused.message
        except QuarantineError as error:
            messages.error(request, error.message)
            return redirect(_message_url(record))
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": ticket.number})
            return redirect("workspace:ticket", number=ticket.number)
    mail = reparse(record)
    context = {
        "record": record,
        "files": mail.files if mail else [],
        "form": form,
        "refusal_message": refusal,
        "in_quarantine": record.outcome == InboundMessage.Outcome.QUARANTINE
        and record.resolved_at is None,
    }
    return render(request, "workspace/mail_message.html", context)


@login_required
@require_POST
def mail_reprocess(request: AuthenticatedRequest) -> HttpResponse:
    _mail_handler_or_403(request)
    record = _record(request)
    try:
        record = reprocess_message(record_id=record.pk, actor=request.user)
    except QuarantineError as error:
        messages.error(request, error.message)
    else:
        if record.outcome == InboundMessage.Outcome.QUARANTINE:
            messages.warning(
                request,
                _("Still in quarantine: %(reason)s") % {"reason": record.get_reason_display()},
            )
        else:
            messages.success(
                request, _("Processed: %(outcome)s") % {"outcome": record.get_outcome_display()}
            )
    return redirect(_message_url(record))


@login_required
@xframe_options_sameorigin
def mail_html(request: AuthenticatedRequest) -> HttpResponse:
    """The sanitized HTML part, for the sandboxed frame only: no scripts, no requests out."""
    _mail_handler_or_403(request)
    record = _record(request)
    response = HttpResponse(record.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
