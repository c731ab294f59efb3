"""The agent workspace: the queue, the ticket page with every agent action, and the dispatcher
console for phone requests. Views check access, validate, call one service, redirect back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from supportdesk.accounts import access
from supportdesk.accounts.models import Contact, ContactPhone, Organization, normalize_phone
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.portal.forms import PriorityProposalForm, ProposalDecisionForm
from supportdesk.portal.views import (
    allowed_actions,
    form_error,
    keyset_page,
    load_ticket,
    pending_proposal,
    run_action,
    timeline_items,
)
from supportdesk.regulations.models import Channel
from supportdesk.tickets import services
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent
from supportdesk.tickets.services import (
    RegistrationRefused,
    RegistrationRequest,
    RequestedItem,
    register_ticket,
)
from supportdesk.workspace.forms import (
    AssignForm,
    DiagnosticsForm,
    LookupForm,
    MergeForm,
    NoteForm,
    NotEntitledForm,
    OverridePriorityForm,
    PhoneRequestForm,
    ReopenForm,
    ReplyForm,
    SolutionForm,
    SplitForm,
    TakeForm,
    WorkMethodForm,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not access.is_agent(request.user):
        raise PermissionDenied
    tickets = access.visible_tickets(request.user).select_related(
        "organization", "product", "priority", "team", "owner__user"
    )
    rows, next_cursor = keyset_page(tickets, request.GET.get("after", ""))
    context = {
        "tickets": rows,
        "next_url": f"?{urlencode({'after': next_cursor})}" if next_cursor else None,
        "is_first_page": not request.GET.get("after"),
    }
    return render(request, "workspace/home.html", context)


# Ticket page ------------------------------------------------------------------------------------

AGENT_FORMS = {
    "take": TakeForm,
    "assign": AssignForm,
    "public_reply": ReplyForm,
    "internal_note": NoteForm,
    "request_diagnostics": DiagnosticsForm,
    "propose_solution": SolutionForm,
    "propose_priority": PriorityProposalForm,
    "decide_priority": ProposalDecisionForm,
    "override_priority": OverridePriorityForm,
    "agree_work_method": WorkMethodForm,
    "split": SplitForm,
    "merge": MergeForm,
    "reopen": ReopenForm,
    "close": NotEntitledForm,
}
# Posted with htmx: they add to the timeline and change nothing else on the page.
TIMELINE_FORMS = {"public_reply": "reply-form", "internal_note": "note-form"}


def _agent_ticket(request: HttpRequest, number: str) -> Ticket:
    """The ticket for an agent: 403 for anybody else, 404 outside the agent's queue."""
    if not access.is_agent(request.user):
        raise PermissionDenied
    return load_ticket(request.user, number)


def agent_actor_label(event: TicketEvent) -> str:
    actor = event.actor
    if actor is None:
        return _("System")
    name = actor.get_full_name() or actor.email
    return name if access.agent_of(actor) is not None else _("%(name)s (customer)") % {"name": name}


def _agent_timeline(ticket: Ticket) -> list[dict]:
    events = (
        TicketEvent.objects.filter(ticket=ticket)
        .select_related("actor__agent")
        .order_by("created_at", "id")
    )
    return timeline_items(ticket, events, label=agent_actor_label, for_customer=False)


@login_required
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    return _ticket_page(request, _agent_ticket(request, number))


def _ticket_page(
    request: HttpRequest, ticket: Ticket, failed: tuple[str, object] | None = None
) -> HttpResponse:
    proposal = pending_proposal(ticket)
    allowed = allowed_actions(request.user, ticket, AGENT_FORMS, proposal)
    forms = {
        name: form_class(ticket=ticket, user=request.user)
        for name, form_class in AGENT_FORMS.items()
        if name in allowed
    }
    if "decide_priority" in forms:
        forms["decide_priority"].initial["proposal"] = proposal.pk
    status, error = 200, ""
    if failed is not None:
        name, form = failed
        forms[name] = form
        status, error = getattr(form, "status", 422), form_error(form)
    events = _agent_timeline(ticket)
    context = {
        "ticket": ticket,
        "events": events,
        "attachments": list(
            Attachment.objects.filter(ticket=ticket).select_related("event").order_by("id")
        ),
        "forms": forms,
        "proposal": proposal,
        "error": error,
    }
    return render(request, "workspace/ticket.html", context, status=status)


def _act(request: HttpRequest, number: str, name: str, perform, success) -> HttpResponse:
    """Check access, validate, call one service, redirect back with a message. A refusal
    re-renders the page (or, with htmx, the form) with the message and the input; nothing
    changed."""
    ticket = _agent_ticket(request, number)
    form = AGENT_FORMS[name](request.POST, request.FILES, ticket=ticket, user=request.user)
    result = run_action(form, lambda data: perform(ticket, request.user, data))
    partial = TIMELINE_FORMS.get(name) if request.htmx else None
    if partial is not None:
        context = {"ticket": ticket, "forms": {name: form}}
        if result is None:
            response = render(request, f"workspace/ticket.html#{partial}", context)
            return reswap(retarget(response, f"#{partial}"), "outerHTML")
        context["forms"] = {name: AGENT_FORMS[name](ticket=ticket, user=request.user)}
        context["events"] = _agent_timeline(ticket)
        context["oob"] = partial
        return render(request, "workspace/ticket_timeline_update.html", context)
    if result is None:
        return _ticket_page(request, ticket, failed=(name, form))
    messages.success(request, success(result) if callable(success) else success)
    return redirect("workspace:ticket", ticket.number)


@login_required
@require_POST
def ticket_take(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "take",
        lambda ticket, actor, data: services.take_ticket(ticket=ticket, actor=actor),
        _("You own this request now."),
    )


@login_required
@require_POST
def ticket_assign(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.assign_ticket(
            ticket=ticket, actor=actor, assignee=data["assignee"].user, reason=data["reason"]
        )

    return _act(
        request,
        number,
        "assign",
        perform,
        lambda ticket: _("Assigned to %(name)s.") % {"name": ticket.owner.user},
    )


@login_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.add_public_reply(
            ticket=ticket, actor=actor, body=data["body"], files=data["files"]
        )

    return _act(request, number, "public_reply", perform, _("The reply is sent to the customer."))


@login_required
@require_POST
def ticket_note(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.add_internal_note(
            ticket=ticket, actor=actor, body=data["body"], files=data["files"]
        )

    return _act(request, number, "internal_note", perform, _("The internal note is added."))


@login_required
@require_POST
def ticket_diagnostics(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        items = [
            RequestedItem(kind, data["other"] if kind == "other" else "") for kind in data["items"]
        ]
        return services.request_diagnostics(
            ticket=ticket, actor=actor, items=items, message=data["message"]
        )

    return _act(
        request,
        number,
        "request_diagnostics",
        perform,
        _("The diagnostics are requested; the request waits for the customer."),
    )


@login_required
@require_POST
def ticket_solution(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.propose_solution(
            ticket=ticket, actor=actor, body=data["body"], files=data["files"]
        )

    return _act(
        request,
        number,
        "propose_solution",
        perform,
        _("The solution is proposed; the customer confirms or refuses it."),
    )


@login_required
@require_POST
def ticket_priority(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.propose_priority_change(
            ticket=ticket, actor=actor, priority_code=data["priority"], reason=data["reason"]
        )

    return _act(
        request,
        number,
        "propose_priority",
        perform,
        _("The priority change is proposed; it takes effect when the customer accepts."),
    )


@login_required
@require_POST
def ticket_priority_accept(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.accept_priority_change(
            ticket=ticket, actor=actor, proposal_id=data["proposal"]
        )

    return _act(
        request,
        number,
        "decide_priority",
        perform,
        lambda ticket: _("The priority is now %(priority)s.") % {"priority": ticket.priority},
    )


@login_required
@require_POST
def ticket_priority_decline(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.decline_priority_change(
            ticket=ticket, actor=actor, proposal_id=data["proposal"], reason=data["reason"]
        )

    return _act(request, number, "decide_priority", perform, _("The proposal is declined."))


@login_required
@require_POST
def ticket_override(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.override_priority(
            ticket=ticket, actor=actor, priority_code=data["priority"], reason=data["reason"]
        )

    return _act(
        request,
        number,
        "override_priority",
        perform,
        lambda ticket: _("The priority is now %(priority)s.") % {"priority": ticket.priority},
    )


@login_required
@require_POST
def ticket_work_method(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.agree_work_method(
            ticket=ticket, actor=actor, method_code=data["method"], note=data["note"]
        )

    return _act(
        request,
        number,
        "agree_work_method",
        perform,
        lambda ticket: _("Work method agreed: %(method)s.") % {"method": ticket.work_method},
    )


@login_required
@require_POST
def ticket_split(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.split_ticket(
            ticket=ticket, actor=actor, subject=data["subject"], description=data["description"]
        )

    return _act(
        request,
        number,
        "split",
        perform,
        lambda new: _("The second problem is registered as %(number)s.") % {"number": new.number},
    )


@login_required
@require_POST
def ticket_merge(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.merge_ticket(
            ticket=ticket, actor=actor, target=data["target"], reason=data["reason"]
        )

    return _act(
        request,
        number,
        "merge",
        perform,
        lambda ticket: _("Merged into %(number)s.") % {"number": ticket.merged_into.number},
    )


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.reopen_ticket(ticket=ticket, actor=actor, reason=data["reason"])

    return _act(request, number, "reopen", perform, _("The request is reopened."))


@login_required
@require_POST
def ticket_not_entitled(request: HttpRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.close_not_entitled(ticket=ticket, actor=actor, reason=data["reason"])

    return _act(request, number, "close", perform, _("The request is closed as not entitled."))


# Dispatcher console -----------------------------------------------------------------------------


def find_callers(query: str) -> dict[int, dict]:
    """Organizations a caller may belong to, by phone, Support ID, Support Contact ID or key.

    Returns ``{organization_id: hints}``; the hints prefill the registration form with what the
    match already tells (the contact behind a phone number, the contract behind a Support ID).
    """
    query = query.strip()
    found: dict[int, dict] = {}
    digits = normalize_phone(query)
    if len(digits) >= 5:
        numbers = {digits}
        if len(digits) == 11 and digits[0] == "8":
            numbers.add("7" + digits[1:])  # Russian trunk prefix: 8 495 … is +7 495 …
        for phone in ContactPhone.objects.filter(normalized__in=numbers).select_related("contact"):
            found.setdefault(phone.contact.organization_id, {}).update(
                contact=phone.contact_id,
                support_contact_id=phone.contact.support_contact_id or "",
            )
    if not query:
        return found
    for contract in Contract.objects.filter(support_id__iexact=query):
        found.setdefault(contract.organization_id, {})["support_id"] = contract.support_id
    for contact in Contact.objects.filter(support_contact_id__iexact=query):
        found.setdefault(contact.organization_id, {}).update(
            contact=contact.pk, support_contact_id=contact.support_contact_id
        )
    for key in LicenseKey.objects.filter(key__iexact=query).select_related("contract"):
        found.setdefault(key.contract.organization_id, {}).update(
            license_key=key.key, support_id=key.contract.support_id, product=key.product_id
        )
    return found


def organization_card(organization: Organization) -> dict:
    """What the dispatcher checks while the caller is on the line."""
    today = timezone.localdate()
    contracts = (
        Contract.objects.filter(organization=organization)
        .select_related("level", "regulation")
        .prefetch_related(
            "products",
            Prefetch("license_keys", queryset=LicenseKey.objects.select_related("product")),
        )
        .order_by("-valid_to")
    )
    contacts = (
        Contact.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related("phones")
        .order_by("user__last_name", "user__email")
    )
    return {
        "organization": organization,
        "contacts": contacts,
        "contracts": [
            {"contract": contract, "active": contract.is_active_on(today)} for contract in contracts
        ],
    }


def _dispatcher_or_403(request: HttpRequest) -> None:
    if not access.can_register_for_others(request.user):
        raise PermissionDenied


@login_required
def dispatch(request: HttpRequest) -> HttpResponse:
    _dispatcher_or_403(request)
    source = request.POST if request.method == "POST" else request.GET
    lookup = LookupForm(request.GET if "q" in request.GET else None)
    organization = None
    candidates: list[Organization] = []
    hints: dict = {}
    org_id = source.get("organization") or request.GET.get("org")
    if org_id and org_id.isdigit():
        organization = Organization.objects.filter(pk=int(org_id)).first()
        if organization is None:
            raise Http404
    elif lookup.is_valid():
        found = find_callers(lookup.cleaned_data["q"])
        candidates = list(Organization.objects.filter(pk__in=found).order_by("name"))
        if len(candidates) == 1:
            organization = candidates[0]
            hints = found[organization.pk]

    form = None
    refusal = None
    if organization is not None:
        form = PhoneRequestForm(
            request.POST if request.method == "POST" else None,
            organization=organization,
            initial=hints,
        )
        if request.method == "POST" and form.is_valid():
            try:
                ticket = register_ticket(request=_phone_request(request, form))
            except RegistrationRefused as e:
                refusal = e.message
                for name in e.fields:
                    if name in form.fields:
                        form.add_error(name, _("Please check this field."))
            else:
                messages.success(
                    request,
                    _("Registered as %(number)s. Read this number to the caller.")
                    % {"number": ticket.number},
                )
                query = urlencode({"org": organization.pk, "registered": ticket.number})
                return redirect(f"{reverse('workspace:dispatch')}?{query}")

    registered = None
    if request.GET.get("registered"):
        registered = (
            access.visible_tickets(request.user).filter(number=request.GET["registered"]).first()
        )
    context = {
        "lookup": lookup,
        "searched": lookup.is_bound,
        "candidates": candidates,
        "card": organization_card(organization) if organization else None,
        "form": form,
        "refusal_message": refusal,
        "registered": registered,
    }
    return render(request, "workspace/dispatch.html", context)


def _phone_request(request: HttpRequest, form: PhoneRequestForm) -> RegistrationRequest:
    data = form.cleaned_data
    return RegistrationRequest(
        channel=Channel.PHONE,
        requested_by=request.user,
        contact=data["contact"],
        support_id=data["support_id"],
        support_contact_id=data["support_contact_id"],
        license_key=data["license_key"],
        product=data["product"],
        version=data["version"],
        os_version=data["os_version"],
        service_pack=data["service_pack"],
        subject=data["subject"],
        description=data["description"],
        priority_code=data["priority"],
    )
