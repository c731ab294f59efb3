"""The customer portal: a contact's requests, new requests, the actions on a request, contracts;
the language switch.

Views check access (``supportdesk.access``), validate, call one service and render.
"""

from __future__ import annotations

import datetime as dt

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Contact, Language, User
from supportdesk.calls.models import CallbackRequest
from supportdesk.contracts.entitlements import (
    active_contracts,
    allowed_channel_rules,
    channel_allowed,
    contract_status,
    hotlines_for,
)
from supportdesk.contracts.models import Contract
from supportdesk.feedback.models import Rating
from supportdesk.feedback.services import RatingError, is_rateable, rate_ticket, ticket_for_token
from supportdesk.formatting import format_minutes
from supportdesk.kb.services import note_submission
from supportdesk.portal.forms import (
    ConfirmSolutionForm,
    CustomerReplyForm,
    EscalationForm,
    RefuseSolutionForm,
    RequestForm,
    WithdrawForm,
    WorkMethodForm,
)
from supportdesk.portal.membership_views import newcomer_page
from supportdesk.regulations.models import Channel, Priority, SlaTarget, SupportLevel
from supportdesk.tickets import attachments, search
from supportdesk.tickets.actions import available_actions
from supportdesk.tickets.models import RefusedRegistration, Ticket, TicketState
from supportdesk.tickets.queries import (
    newest_first_page,
    open_diagnostics_items,
    pending_proposal,
    ticket_for_page,
)
from supportdesk.tickets.registration import RegistrationRefused, register_ticket
from supportdesk.tickets.timeline import attachments_of, proposed_solution, timeline_items
from supportdesk.ui.actions import FormAction, form_error, run_action
from supportdesk.ui.forms import (
    AcceptProposalForm,
    DeclineProposalForm,
    PriorityProposalForm,
    TicketActionForm,
)
from supportdesk.ui.reports import sla_report_page

STATE_FILTERS = {
    "open": ~Q(state=TicketState.CLOSED),
    "closed": Q(state=TicketState.CLOSED),
    "all": Q(),
}


def _contact_or_403(user: User) -> Contact:
    contact = access.contact_of(user)
    if contact is None:
        raise PermissionDenied
    return contact


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if access.is_agent(request.user):
        return redirect("workspace:home")
    if access.contact_of(request.user) is not None:
        return redirect("ticket_list")
    if access.can_see_sales_leads(request.user):
        return redirect("workspace:sales_leads")
    return newcomer_page(request)


@login_required
def ticket_list(request: AuthenticatedRequest) -> HttpResponse:
    text = search.clean(request.GET.get("q", ""))
    state = request.GET.get("state", "all" if text else "open")
    if state not in STATE_FILTERS:
        state = "open"
    tickets = (
        access.visible_tickets(request.user)
        .filter(STATE_FILTERS[state])
        .select_related("product", "priority", "contact__user")
    )
    hits: dict[int, search.Hit] = {}
    if text:
        # The same access rules: the customer's own (or organization's) tickets, never a note.
        found = search.search(request.user, text, within=tickets)
        rows, next_cursor = [hit.ticket for hit in found], None
        hits = {hit.ticket.pk: hit for hit in found}
    else:
        rows, next_cursor = newest_first_page(tickets, request.GET.get("after", ""))
    contact = access.contact_of(request.user)
    context = {
        "tickets": rows,
        "rows": [(ticket, hits.get(ticket.pk)) for ticket in rows],
        "q": text,
        "state": state,
        "next_url": (
            f"?{urlencode({'state': state, 'after': next_cursor})}" if next_cursor else None
        ),
        "is_first_page": not request.GET.get("after"),
        "show_contact": contact is None or contact.is_org_admin,
        "callbacks": _callbacks(contact),
        "state_filters": [
            # One grammatical form for the three: "open / closed / all requests".
            ("open", pgettext("requests filter", "Open")),
            ("closed", pgettext("requests filter", "Closed")),
            ("all", pgettext("requests filter", "All")),
        ],
    }
    return render(request, "portal/ticket_list.html", context)


def _callbacks(contact: Contact | None) -> list[CallbackRequest]:
    """The customer's callback requests left with the dispatcher: open ones, and those closed in
    the last week (an organization administrator sees the organization's)."""
    if contact is None:
        return []
    callbacks = CallbackRequest.objects.filter(
        Q(state=CallbackRequest.State.OPEN)
        | Q(closed_at__gte=timezone.now() - dt.timedelta(days=7))
    )
    if contact.is_org_admin:
        callbacks = callbacks.filter(organization_id=contact.organization_id)
    else:
        callbacks = callbacks.filter(contact=contact)
    return list(callbacks.order_by("-created_at")[:10])


# New request ------------------------------------------------------------------------------------


@login_required
def ticket_new(request: AuthenticatedRequest) -> HttpResponse:
    contact = _contact_or_403(request.user)
    contract_list = active_contracts(organization_id=contact.organization_id, now=timezone.now())
    expired = None
    if not contract_list:
        # No active contract: the form still goes to the latest one, so an attempt gets the
        # regulation's refusal and reaches the account manager as a sales lead.
        expired = (
            access.visible_contracts(request.user)
            .select_related("level", "regulation")
            .order_by("-valid_to")
            .first()
        )
        if expired is None:
            return render(request, "portal/ticket_new.html", {"no_contracts": True})
        contract_list = [expired]
    contracts = Contract.objects.filter(pk__in=[c.pk for c in contract_list]).select_related(
        "level", "regulation"
    )
    data = request.POST if request.method == "POST" else None
    wanted = (data or request.GET).get("contract")
    contract = next((c for c in contract_list if str(c.pk) == wanted), contract_list[0])
    files = request.FILES if request.method == "POST" else None
    # "New request with this key" on the contracts page: the key, if it is the contract's.
    wanted_key = request.GET.get("license_key", "")
    known = contract_keys(contract, wanted_key)
    initial = {"license_key": wanted_key} if wanted_key in known else {}
    form = RequestForm(
        data, files, initial=initial, contracts=contracts, contract=contract, contact=contact
    )
    # Knowledge base suggestions while the subject is typed (templates/portal/kb_suggestions.html).
    form.fields["subject"].widget.attrs.update(
        {
            "hx-get": reverse("kb_suggest"),
            "hx-trigger": "input changed delay:400ms",
            "hx-target": "#kb-suggestions",
            "hx-swap": "innerHTML",
            "autocomplete": "off",
        }
    )
    refusal = None
    if data is not None and form.is_valid():
        try:
            ticket = register_ticket(
                request=form.registration_request(
                    channel=Channel.PORTAL,
                    requested_by=request.user,
                    contact=contact,
                    diagnostics_confirmed=form.diagnostics_confirmed(),
                )
            )
        except RegistrationRefused as e:
            refusal = e.message
            hint = (
                _("Required by the regulation.")
                if e.reason == RefusedRegistration.Reason.MISSING_FIELDS
                else _("Please check this field.")
            )
            for name in e.fields:
                if name in form.fields:
                    form.add_error(name, hint)
        else:
            note_submission(session_key=request.session.session_key or "", ticket=ticket)
            messages.success(
                request, _("Your request is registered as %(number)s.") % {"number": ticket.number}
            )
            return redirect("ticket_detail", ticket.number)
    context = {
        "form": form,
        "refusal_message": refusal,
        "contract": contract,
        "several_contracts": len(contract_list) > 1,
        "expired": expired,
    }
    template = "portal/ticket_new.html"
    if request.htmx and request.method == "GET":
        template += "#request-fields"
    return render(request, template, context)


def contract_keys(contract: Contract, wanted: str) -> set[str]:
    """``{wanted}`` if it is one of the contract's license keys, else empty (no query for "")."""
    if not wanted:
        return set()
    return set(contract.license_keys.filter(key=wanted).values_list("key", flat=True))


# The customer's ticket page and its actions -----------------------------------------------------

# URL name suffix → action (its form's key on the page), form, message after success.
ACTIONS: dict[str, FormAction] = {
    "reply": FormAction("customer_reply", CustomerReplyForm, gettext_lazy("Your message is sent.")),
    "confirm": FormAction(
        "confirm_solution",
        ConfirmSolutionForm,
        gettext_lazy("Thank you. You confirmed the solution and the request is closed."),
    ),
    "refuse": FormAction(
        "refuse_solution",
        RefuseSolutionForm,
        gettext_lazy("Your refusal is recorded; the engineer continues working on the request."),
    ),
    "escalate": FormAction(
        "escalate",
        EscalationForm,
        gettext_lazy("Your escalation is recorded and the people responsible are notified."),
    ),
    "priority": FormAction(
        "propose_priority",
        PriorityProposalForm,
        gettext_lazy("Your priority proposal is sent; it takes effect when support accepts it."),
    ),
    "priority_accept": FormAction(
        "decide_priority", AcceptProposalForm, gettext_lazy("The new priority is in effect.")
    ),
    "priority_decline": FormAction(
        "decide_priority", DeclineProposalForm, gettext_lazy("The priority stays as it was.")
    ),
    "withdraw": FormAction(
        "withdraw", WithdrawForm, gettext_lazy("The request is withdrawn and closed.")
    ),
    "work_method": FormAction(
        "agree_work_method",
        WorkMethodForm,
        lambda ticket: _("Work method agreed: %(method)s.") % {"method": ticket.work_method},
    ),
}
# The forms the page offers, by action; answering a proposal is one form with two buttons.
PAGE_FORMS: dict[str, type[TicketActionForm]] = {
    entry.action: entry.form for key, entry in ACTIONS.items() if key != "priority_decline"
}


def _page_form(
    name: str, form_class: type[TicketActionForm], ticket: Ticket, user: User, data=None, files=None
) -> TicketActionForm:
    if name == "customer_reply":
        return CustomerReplyForm(
            data, files, ticket=ticket, user=user, open_items=open_diagnostics_items(ticket)
        )
    return form_class(data, files, ticket=ticket, user=user)


@login_required
def ticket_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _customer_page(request, ticket_for_page(request.user, number))


def _customer_page(
    request: AuthenticatedRequest,
    ticket: Ticket,
    failed: tuple[str, TicketActionForm] | None = None,
) -> HttpResponse:
    proposal = pending_proposal(ticket)
    allowed = available_actions(request.user, ticket, PAGE_FORMS, proposal)
    forms = {
        name: _page_form(name, form_class, ticket, request.user)
        for name, form_class in PAGE_FORMS.items()
        if name in allowed
    }
    if "decide_priority" in forms and proposal is not None:
        forms["decide_priority"].initial["proposal"] = proposal.pk
    status, error = 200, ""
    if failed is not None:
        name, form = failed
        forms[name] = form
        status, error = form.status, form_error(form)
    events = timeline_items(ticket, request.user)
    context = {
        "ticket": ticket,
        "rating": _rating_block(request.user, ticket),
        "events": events,
        "attachments": attachments_of(events),
        "forms": forms,
        "proposal": proposal,
        "open_items": open_diagnostics_items(ticket) if "customer_reply" in forms else [],
        "solution": proposed_solution(events),
        "error": error,
        "reopen_hotlines": _reopen_hotlines(ticket),
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


def _reopen_hotlines(ticket: Ticket) -> list:
    """A closed request is reopened through the dispatcher (seed 000): the numbers to call, when
    the regulation takes requests by phone at the ticket's level."""
    if ticket.state != TicketState.CLOSED or ticket.merged_into_id is not None:
        return []
    if not channel_allowed(level=ticket.level, channel=Channel.PHONE, product=ticket.product):
        return []
    return list(hotlines_for(level=ticket.level))


@login_required
@require_POST
def ticket_action(request: AuthenticatedRequest, number: str, name: str) -> HttpResponse:
    """One customer action: check access, validate, perform, redirect back; a refusal
    re-renders the page with the message and the user's input, and nothing changed."""
    entry = ACTIONS.get(name)
    if entry is None:
        raise Http404
    ticket = ticket_for_page(request.user, number)
    form = _page_form(entry.action, entry.form, ticket, request.user, request.POST, request.FILES)
    result = run_action(form)
    if result is None:
        return _customer_page(request, ticket, failed=(entry.action, form))
    messages.success(request, entry.message(result))
    return redirect("ticket_detail", ticket.number)


@login_required
def attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A file of a ticket the user may see, as a download; 404 for anything else."""
    attachment = access.get_attachment_for_user(request.user, pk)
    return attachments.attachment_response(attachment, user=request.user)


# Contracts --------------------------------------------------------------------------------------


@login_required
def contracts(request: AuthenticatedRequest) -> HttpResponse:
    _contact_or_403(request.user)
    now = timezone.now()
    rows = []
    for contract in (
        access.visible_contracts(request.user)
        .select_related("level", "regulation__calendar")
        .prefetch_related("products", "license_keys__product")
        .order_by("-valid_to", "support_id")
    ):
        level = contract.level
        rows.append(
            {
                "contract": contract,
                "level_name": level.tr("name"),
                "regulation_name": contract.regulation.display_name,
                "status": contract_status(contract, now),
                "sla": _sla_rows(level),
                "channels": _channels(level),
                "hotlines": list(hotlines_for(level=level)),
                "priorities": [
                    {"name": priority.tr("name"), "criteria": priority.tr("criteria")}
                    for priority in Priority.objects.filter(
                        regulation_id=contract.regulation_id
                    ).order_by("rank")
                ],
            }
        )
    return render(request, "portal/contracts.html", {"rows": rows})


def _sla_rows(level: SupportLevel) -> list[dict]:
    targets = (
        SlaTarget.objects.filter(level=level)
        .select_related("priority", "reaction_calendar", "resolution_calendar")
        .order_by("priority__rank")
    )
    return [
        {
            "priority": target.priority.tr("name"),
            "reaction": format_minutes(target.reaction_minutes),
            "reaction_calendar": target.reaction_calendar.name,
            "resolution": format_minutes(target.resolution_minutes),
            "resolution_calendar": target.resolution_calendar.name,
            "is_example": target.is_example,
        }
        for target in targets
    ]


def _channels(level: SupportLevel) -> list[dict]:
    """The level's channels; one limited to a product line says so (e-mail for one line only)."""
    channels: dict[str, set[str]] = {}
    for rule in allowed_channel_rules(level=level).select_related("product_line"):
        lines = channels.setdefault(rule.channel, set())
        lines.add(rule.product_line.display_name if rule.product_line else "")
    return [
        {
            "name": str(Channel(code).label),
            "only_for": "" if "" in lines else ", ".join(sorted(lines)),
        }
        for code, lines in sorted(channels.items(), key=lambda item: Channel.values.index(item[0]))
    ]


# Language ---------------------------------------------------------------------------------------


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language on the account, then let Django set the cookie and redirect."""
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in Language.values:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return set_language(request)


@login_required
def sla_report(request: AuthenticatedRequest) -> HttpResponse:
    """An organization's administrator's monthly SLA report of their organization's contracts."""
    _contact_or_403(request.user)
    if not access.can_read_sla_reports(request.user):
        raise PermissionDenied
    return sla_report_page(request, url_name="sla_report")


# --- Satisfaction rating ------------------------------------------------------------------


class RatingForm(django_forms.Form):
    score = django_forms.TypedChoiceField(
        label=gettext_lazy("Your score"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=django_forms.RadioSelect,
    )
    comment = django_forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 3}),
    )


def _rating_block(user: User, ticket: Ticket) -> dict | None:
    """What the request page shows about the rating: the rating, the form, or nothing."""
    if not is_rateable(ticket) or not access.may_rate_ticket(user, ticket):
        return None
    existing = Rating.objects.filter(ticket=ticket).first()
    return {"existing": existing, "form": None if existing else RatingForm()}


@login_required
@require_POST
def ticket_rate(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The contact rates their closed request on the portal."""
    ticket = access.access_ticket(request.user, number)
    if not access.may_rate_ticket(request.user, ticket):
        raise PermissionDenied
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error(form))
        return redirect("ticket_detail", number=ticket.number)
    try:
        rate_ticket(
            ticket=ticket,
            rated_by=request.user,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            source=Rating.Source.PORTAL,
        )
    except RatingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("ticket_detail", number=ticket.number)


def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The rating link of the closure e-mail: GET shows the chosen score with a comment box (a
    link scanner that follows the link records nothing), POST records it. No sign-in needed:
    the signed, single-use, expiring token is the capability (supportdesk/feedback/services.py)."""
    try:
        ticket = ticket_for_token(token)
    except RatingError as error:
        return render(request, "portal/rate.html", {"error": error.message}, status=error.status)
    if Rating.objects.filter(ticket=ticket).exists():
        done = _("This request has already been rated. Thank you!")
        return render(request, "portal/rate.html", {"ticket": ticket, "done": done}, status=409)
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                rate_ticket(
                    ticket=ticket,
                    rated_by=ticket.contact.user,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    source=Rating.Source.EMAIL,
                )
            except RatingError as error:
                context = {"ticket": ticket, "error": error.message}
                return render(request, "portal/rate.html", context, status=error.status)
            context = {"ticket": ticket, "done": _("Thank you for your rating.")}
            return render(request, "portal/rate.html", context)
        return render(request, "portal/rate.html", {"ticket": ticket, "form": form}, status=422)
    score = request.GET.get("score", "")
    form = RatingForm(initial={"score": int(score)} if score in {"1", "2", "3", "4", "5"} else {})
    return render(request, "portal/rate.html", {"ticket": ticket, "form": form})
