"""The agent workspace: the queue, the ticket page with every agent action, and the dispatcher
console for phone requests. Views check access, validate, call one service, redirect back."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from supportdesk.accounts import access
from supportdesk.accounts.access import AuthenticatedRequest
from supportdesk.accounts.models import (
    Agent,
    Contact,
    ContactPhone,
    Organization,
    Team,
    normalize_phone,
)
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.relay import outbox_health
from supportdesk.portal.forms import PriorityProposalForm, ProposalDecisionForm
from supportdesk.portal.views import (
    PAGE_SIZE,
    allowed_actions,
    form_error,
    keyset_page,
    load_ticket,
    pending_proposal,
    run_action,
    timeline_items,
)
from supportdesk.regulations.models import Channel
from supportdesk.sla.sweep import sweep_backlog
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

# Queue ------------------------------------------------------------------------------------------


def queue_teams(agent: Agent) -> list[Team]:
    """The teams an agent may pick a queue of: managers and administrators all, others their own."""
    if agent.role in access.MANAGING_ROLES:
        return list(Team.objects.order_by("name"))
    return list(agent.teams.order_by("name"))


def sla_queue_page(
    tickets: QuerySet, cursor: str, size: int = PAGE_SIZE
) -> tuple[list, str | None]:
    """One page of open tickets, nearest SLA deadline first, and the cursor of the next page.

    Order: (sla_due_at, id) with tickets without a running deadline (paused, met) last. Read as
    two ranges, dated then undated, so each is one range of the partial index
    ``ticket_team_sla_queue`` (team, sla_due_at, id) WHERE closed_at IS NULL: at most two
    queries per page, however long the queue (docs/workspace.md).
    """
    after = parse_queue_cursor(cursor)
    rows: list[Ticket] = []
    if after is None or after[0] is not None:
        dated = tickets.filter(sla_due_at__isnull=False).order_by("sla_due_at", "id")
        if after is not None:
            due, pk = after
            # The redundant lower bound starts the index scan at the cursor (as in keyset_page).
            dated = dated.filter(sla_due_at__gte=due).filter(
                Q(sla_due_at__gt=due) | Q(sla_due_at=due, id__gt=pk)
            )
        rows = list(dated[: size + 1])
    if len(rows) <= size:
        undated = tickets.filter(sla_due_at__isnull=True).order_by("id")
        if after is not None and after[0] is None:
            undated = undated.filter(id__gt=after[1])
        rows += list(undated[: size + 1 - len(rows)])
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    due_text = last.sla_due_at.isoformat() if last.sla_due_at else ""
    return rows[:size], f"{due_text}~{last.pk}"


def parse_queue_cursor(cursor: str) -> tuple[datetime.datetime | None, int] | None:
    """ "<aware ISO instant>~<id>", or "~<id>" among the tickets without a deadline."""
    moment, sep, pk = (cursor or "").partition("~")
    if not sep or not pk.isdigit():
        return None
    if not moment:
        return None, int(pk)
    try:
        parsed = datetime.datetime.fromisoformat(moment)
    except ValueError:
        return None
    return (parsed, int(pk)) if timezone.is_aware(parsed) else None


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The queue: open tickets by nearest SLA deadline (or closed ones, newest first), per team
    and optionally only the agent's own."""
    agent = access.agent_of(request.user)
    if agent is None:
        raise PermissionDenied
    teams = queue_teams(agent)
    team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
    mine = request.GET.get("mine") == "1"
    view = "closed" if request.GET.get("view") == "closed" else "open"
    tickets = access.visible_tickets(request.user).select_related(
        "organization", "product", "priority", "team", "owner__user"
    )
    if team is not None:
        tickets = tickets.filter(team=team)
    if mine:
        tickets = tickets.filter(owner=agent)
    after = request.GET.get("after", "")
    if view == "closed":
        rows, next_cursor = keyset_page(tickets.filter(closed_at__isnull=False), after)
    else:
        rows, next_cursor = sla_queue_page(tickets.filter(closed_at__isnull=True), after)
    filters = {"view": view, "team": team.pk if team else "", "mine": "1" if mine else ""}
    filters = {key: value for key, value in filters.items() if value and value != "open"}
    context = {
        "tickets": rows,
        "teams": teams,
        "team": team,
        "mine": mine,
        "view": view,
        "filters": filters,
        "first_url": f"?{urlencode(filters)}",
        "next_url": f"?{urlencode({**filters, 'after': next_cursor})}" if next_cursor else None,
        "is_first_page": not after,
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


def _agent_ticket(request: AuthenticatedRequest, number: str) -> Ticket:
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
def ticket(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _ticket_page(request, _agent_ticket(request, number))


def _ticket_page(
    request: AuthenticatedRequest, ticket: Ticket, failed: tuple[str, object] | None = None
) -> HttpResponse:
    proposal = pending_proposal(ticket)
    allowed = allowed_actions(request.user, ticket, AGENT_FORMS, proposal)
    forms = {
        name: form_class(ticket=ticket, user=request.user)
        for name, form_class in AGENT_FORMS.items()
        if name in allowed
    }
    if "decide_priority" in forms and proposal is not None:
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


def _act(request: AuthenticatedRequest, number: str, name: str, perform, success) -> HttpResponse:
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
def ticket_take(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "take",
        lambda ticket, actor, data: services.take_ticket(ticket=ticket, actor=actor),
        _("You own this request now."),
    )


@login_required
@require_POST
def ticket_assign(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_reply(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.add_public_reply(
            ticket=ticket, actor=actor, body=data["body"], files=data["files"]
        )

    return _act(request, number, "public_reply", perform, _("The reply is sent to the customer."))


@login_required
@require_POST
def ticket_note(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.add_internal_note(
            ticket=ticket, actor=actor, body=data["body"], files=data["files"]
        )

    return _act(request, number, "internal_note", perform, _("The internal note is added."))


@login_required
@require_POST
def ticket_diagnostics(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_solution(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_priority(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_priority_accept(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_priority_decline(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.decline_priority_change(
            ticket=ticket, actor=actor, proposal_id=data["proposal"], reason=data["reason"]
        )

    return _act(request, number, "decide_priority", perform, _("The proposal is declined."))


@login_required
@require_POST
def ticket_override(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_work_method(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_split(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_merge(request: AuthenticatedRequest, number: str) -> HttpResponse:
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
def ticket_reopen(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.reopen_ticket(ticket=ticket, actor=actor, reason=data["reason"])

    return _act(request, number, "reopen", perform, _("The request is reopened."))


@login_required
@require_POST
def ticket_not_entitled(request: AuthenticatedRequest, number: str) -> HttpResponse:
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


def _dispatcher_or_403(request: AuthenticatedRequest) -> None:
    if not access.can_register_for_others(request.user):
        raise PermissionDenied


@login_required
def dispatch(request: AuthenticatedRequest) -> HttpResponse:
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
                query = urlencode({"org": str(organization.pk), "registered": ticket.number})
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


def _phone_request(request: AuthenticatedRequest, form: PhoneRequestForm) -> RegistrationRequest:
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


# Outbox and background health -------------------------------------------------------------------

OUTBOX_PAGE = 50
# Beyond these ages the relay or the sweep is not keeping up: the page shows them as a warning.
# The relay runs every few seconds and the sweep every 30 s (config/celery.py).
OUTBOX_LAG_WARNING = datetime.timedelta(minutes=15)
SWEEP_LAG_WARNING = datetime.timedelta(minutes=5)


def _manager_or_403(request: AuthenticatedRequest) -> None:
    if not access.is_agent(request.user, *access.MANAGING_ROLES):
        raise PermissionDenied


def format_age(seconds: float) -> str:
    """An age as "45 s", "12 min", "3 h 20 min", "2 d 4 h"."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


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
    pk = request.GET.get("id", "")
    message = (
        OutboxMessage.objects.select_related("ticket").filter(pk=int(pk)).first()
        if pk.isdigit()
        else None
    )
    if message is None:
        raise Http404
    context = {"message": message, "deliveries": list(message.deliveries.order_by("started_at"))}
    return render(request, "workspace/outbox_message.html", context)
