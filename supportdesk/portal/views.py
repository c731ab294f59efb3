"""The customer portal: a contact's requests, new requests, the actions on a request, contracts;
the language switch.

Views check access through ``accounts.access``, validate, call one service and render.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from supportdesk.accounts import access
from supportdesk.accounts.access import AuthenticatedRequest
from supportdesk.accounts.models import Contact, Language, User
from supportdesk.contracts.entitlements import active_contracts, allowed_channel_rules, hotlines_for
from supportdesk.portal.forms import (
    ConfirmSolutionForm,
    CustomerReplyForm,
    EscalationForm,
    PriorityProposalForm,
    ProposalDecisionForm,
    RefuseSolutionForm,
    RequestForm,
    WithdrawForm,
)
from supportdesk.regulations.models import Channel, Priority, SlaTarget, WorkMethod
from supportdesk.tickets import attachments, services
from supportdesk.tickets.models import (
    Attachment,
    CloseReason,
    DiagnosticsRequest,
    DiagnosticsRequestItem,
    Escalation,
    PriorityProposal,
    RefusedRegistration,
    Ticket,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.services import (
    RegistrationRefused,
    RegistrationRequest,
    TicketActionError,
    register_ticket,
)

PAGE_SIZE = 25
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
    return render(request, "portal/home.html")


# Keyset pagination ------------------------------------------------------------------------------


def keyset_page(tickets: QuerySet, cursor: str, size: int = PAGE_SIZE) -> tuple[list, str | None]:
    """One page of tickets, newest first, after ``cursor``; and the cursor of the next page.

    Keyset (registered_at, id) instead of OFFSET/COUNT keeps the cost of a page constant however
    many tickets the organization has; the indexes on (…, -registered_at, -id) match the order.
    """
    tickets = tickets.order_by("-registered_at", "-id")
    after = parse_cursor(cursor)
    if after is not None:
        moment, pk = after
        # The redundant bound lets PostgreSQL start the index scan at the cursor instead of
        # filtering every newer row out (bench/README.md).
        tickets = tickets.filter(registered_at__lte=moment).filter(
            Q(registered_at__lt=moment) | Q(registered_at=moment, id__lt=pk)
        )
    rows = list(tickets[: size + 1])
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], f"{last.registered_at.isoformat()}~{last.pk}"


def parse_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    moment, _sep, pk = (cursor or "").partition("~")
    try:
        parsed = datetime.datetime.fromisoformat(moment)
        return (parsed, int(pk)) if timezone.is_aware(parsed) else None
    except ValueError:
        return None


@login_required
def ticket_list(request: AuthenticatedRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in STATE_FILTERS:
        state = "open"
    tickets = (
        access.visible_tickets(request.user)
        .filter(STATE_FILTERS[state])
        .select_related("product", "priority", "contact__user")
    )
    rows, next_cursor = keyset_page(tickets, request.GET.get("after", ""))
    contact = access.contact_of(request.user)
    context = {
        "tickets": rows,
        "state": state,
        "next_url": (
            f"?{urlencode({'state': state, 'after': next_cursor})}" if next_cursor else None
        ),
        "is_first_page": not request.GET.get("after"),
        "show_contact": contact is None or contact.is_org_admin,
        "state_filters": [
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
    }
    return render(request, "portal/ticket_list.html", context)


# New request ------------------------------------------------------------------------------------


@login_required
def ticket_new(request: AuthenticatedRequest) -> HttpResponse:
    contact = _contact_or_403(request.user)
    contracts = active_contracts(
        organization_id=contact.organization_id, day=timezone.localdate()
    ).order_by("support_id")
    contract_list = list(contracts)
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
        contracts = contracts.model.objects.filter(pk=expired.pk).select_related(
            "level", "regulation"
        )
        contract_list = [expired]
    data = request.POST if request.method == "POST" else None
    wanted = (data or request.GET).get("contract")
    contract = next((c for c in contract_list if str(c.pk) == wanted), contract_list[0])
    form = RequestForm(data, contracts=contracts, contract=contract, contact=contact)
    refusal = None
    if data is not None and form.is_valid():
        try:
            ticket = register_ticket(request=_registration_request(request, contact, form))
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


def _registration_request(
    request: AuthenticatedRequest, contact: Contact, form: RequestForm
) -> RegistrationRequest:
    data = form.cleaned_data
    return RegistrationRequest(
        channel=Channel.PORTAL,
        requested_by=request.user,
        contact=contact,
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
        extra=form.diagnostics_record(),
    )


# Ticket page ------------------------------------------------------------------------------------


def customer_timeline(ticket) -> QuerySet:
    """The timeline a customer reads: every event except internal ones. The one place to filter."""
    return (
        TicketEvent.objects.filter(ticket=ticket, is_internal=False)
        .select_related("actor__agent")
        .order_by("created_at", "id")
    )


def actor_label(event: TicketEvent) -> str:
    """Who did it, as a customer may see it: agents by name only, never their address."""
    actor = event.actor
    if actor is None:
        return _("System")
    if access.agent_of(actor) is not None:
        return actor.get_full_name() or _("Support")
    return actor.get_full_name() or actor.email


def timeline_items(ticket, events, *, label, for_customer: bool) -> list[dict]:
    """Events with what the page shows beside them: files, requested diagnostics, and the event's
    details in words. ``events`` is already filtered for the reader (``customer_timeline``)."""
    events = list(events)
    ids = [event.pk for event in events]
    files: dict[int, list] = {}
    for attachment in Attachment.objects.filter(event_id__in=ids).order_by("id"):
        assert attachment.event_id is not None  # filtered by event
        files.setdefault(attachment.event_id, []).append(attachment)
    requests = {
        request.event_id: request
        for request in DiagnosticsRequest.objects.filter(event_id__in=ids).prefetch_related("items")
    }
    names = {
        "priority": {
            p.code: p.tr("name")
            for p in Priority.objects.filter(regulation_id=ticket.regulation_id)
        },
        "method": {
            m.code: m.tr("name")
            for m in WorkMethod.objects.filter(regulation_id=ticket.regulation_id)
        },
    }
    return [
        {
            "event": event,
            "actor": label(event),
            "internal": event.is_internal,
            "attachments": files.get(event.pk, []),
            "diagnostics": requests.get(event.pk),
            "details": event_details(event, names, for_customer=for_customer),
            "rejected": event.data.get("rejected_files", []),
        }
        for event in events
    ]


def event_details(event: TicketEvent, names: dict, *, for_customer: bool) -> list[str]:
    """The event's data in words, e.g. "In progress → Waiting for customer"."""
    Kind = TicketEvent.Kind
    data = event.data or {}

    def label(choices, value) -> str:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value or "—")

    def arrow(left, right) -> str:
        return _("%(from)s → %(to)s") % {"from": left, "to": right}

    lines: list[str] = []
    if event.kind == Kind.STATE_CHANGED:
        lines.append(
            arrow(label(TicketState, data.get("from")), label(TicketState, data.get("to")))
        )
        if data.get("close_reason"):
            lines.append(label(CloseReason, data["close_reason"]))
    elif event.kind in (
        Kind.PRIORITY_PROPOSED,
        Kind.PRIORITY_CHANGED,
        Kind.PRIORITY_DECLINED,
        Kind.PRIORITY_OVERRIDDEN,
    ):
        priority = names["priority"]
        lines.append(
            arrow(
                priority.get(data.get("from"), data.get("from")),
                priority.get(data.get("to"), data.get("to")),
            )
        )
    elif event.kind == Kind.ESCALATION_REQUESTED:
        lines.append(
            _("%(reason)s; escalation level %(level)s")
            % {"reason": label(Escalation.Reason, data.get("reason")), "level": data.get("to")}
        )
    elif event.kind == Kind.WORK_METHOD_AGREED:
        lines.append(names["method"].get(data.get("to"), data.get("to")))
    elif event.kind == Kind.DEADLINES_CHANGED:
        lines.extend(_deadline_changes(data))
    elif event.kind in (Kind.SLA_WARNING, Kind.SLA_BREACH) and not for_customer:
        lines.append(_sla_alert_line(event.kind == Kind.SLA_BREACH, data))
    elif event.kind == Kind.CONFIRMATION_REMINDER and for_customer:
        lines.append(_("We reminded you by e-mail to confirm or refuse the proposed solution."))
    elif event.kind == Kind.CONFIRMATION_REMINDER:
        lines.append(_("The customer was reminded by e-mail to confirm the proposed solution."))
    elif event.kind == Kind.ASSIGNED and not for_customer:
        # Agents' names only: the customer's page never carries them beyond the actor label.
        if data.get("from_name"):
            lines.append(arrow(data["from_name"], data.get("to_name")))
        elif data.get("to_name"):
            lines.append(_("To %(name)s") % {"name": data["to_name"]})
    return lines


def local_datetime(value: str | None) -> str:
    """A stored ISO instant in the viewer's time zone (the active one), "—" for none."""
    if not value:
        return "—"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return "—"
    if timezone.is_naive(moment):
        return "—"
    local = timezone.localtime(moment)
    return f"{date_format(local, 'j E Y, H:i')} {local.tzname()}"


def _deadline_changes(data: dict) -> list[str]:
    """Each target's old → new deadline (and budget, when it changed) after a priority change.
    A missing deadline (met, or paused) shows as "—"."""
    lines = []
    for name, title in (("reaction", _("Reaction")), ("resolution", _("Resolution"))):
        change = data.get(name) or {}
        line = _("%(timer)s: %(old)s → %(new)s") % {
            "timer": title,
            "old": local_datetime(change.get("old")),
            "new": local_datetime(change.get("new")),
        }
        old_minutes, new_minutes = change.get("old_minutes"), change.get("new_minutes")
        if old_minutes and new_minutes and old_minutes != new_minutes:
            line += " " + _("(target %(old)s → %(new)s of business time)") % {
                "old": format_minutes(old_minutes),
                "new": format_minutes(new_minutes),
            }
        lines.append(line)
    return lines


def _sla_alert_line(breach: bool, data: dict) -> str:
    """An internal warning or breach in words; the deadline in the viewer's time zone."""
    values = {
        "target": format_minutes(int(data.get("target_minutes") or 0)),
        "due": local_datetime(data.get("due_at")),
        "percent": data.get("percent", 0),
    }
    reaction = data.get("timer") == "reaction"
    if breach and reaction:
        return _("Reaction target of %(target)s missed; deadline %(due)s.") % values
    if breach:
        return _("Resolution target of %(target)s missed; deadline %(due)s.") % values
    if reaction:
        return _("%(percent)s%% of the reaction target (%(target)s) used; due %(due)s.") % values
    return _("%(percent)s%% of the resolution target (%(target)s) used; due %(due)s.") % values


def _ticket_query(user: User):
    return access.visible_tickets(user).select_related(
        "organization",
        "contact__user",
        "contract",
        "level",
        "regulation",
        "product",
        "priority",
        "owner__user",
        "team",
        "work_method",
        "split_from",
        "merged_into",
    )


def load_ticket(user: User, number: str) -> Ticket:
    """``access.get_ticket_for_user`` with everything the ticket page shows joined in."""
    ticket = _ticket_query(user).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


# Which actions apply ----------------------------------------------------------------------------
# Roles come from ``access.can_act`` (what the services check); the states mirror the services'
# own state checks, so a form is only offered where the action can succeed.


def pending_proposal(ticket: Ticket) -> PriorityProposal | None:
    return (
        ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING)
        .select_related("from_priority", "to_priority", "proposed_by")
        .first()
    )


def allowed_actions(user: User, ticket: Ticket, names, proposal=None) -> set[str]:
    """The actions of ``names`` this user may take on this ticket now; "decide_priority" is the
    other side's answer to a pending priority proposal. ``ticket`` comes from an access check
    (the page's own lookup), so only the role and the state are checked here."""
    allowed = set()
    for name in names:
        if name == "decide_priority":
            if proposal is not None and (
                access.is_ticket_worker(user, ticket)
                if proposal.side == PriorityProposal.Side.CUSTOMER
                else access.is_ticket_customer(user, ticket)
            ):
                allowed.add(name)
            continue
        if ticket.state not in services.ACTION_STATES[name] or not access.role_allows(
            user, ticket, name
        ):
            continue
        if name == "take" and ticket.owner_id is not None:
            continue
        if name == "reopen" and ticket.merged_into_id is not None:
            continue
        if name == "propose_priority" and proposal is not None:
            continue
        allowed.add(name)
    return allowed


def run_action(form, perform: Callable[[dict], Ticket]) -> Ticket | None:
    """Validate ``form`` and call one service. On a TicketActionError nothing changed: its message
    goes onto the form (on the field it names) and None is returned."""
    if not form.is_valid():
        form.status = 422
        return None
    try:
        return perform(form.cleaned_data)
    except TicketActionError as error:
        if error.status == 404 and not error.fields:
            raise Http404 from error
        field = next((name for name in error.fields if name in form.fields), None)
        form.add_error(field, error.message)
        form.status = error.status
        return None


def form_error(form) -> str:
    """The first error of a failed form, for the alert at the top of the page."""
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return ""


# Customer's ticket page -------------------------------------------------------------------------

CUSTOMER_ACTIONS = [
    "customer_reply",
    "confirm_solution",
    "refuse_solution",
    "escalate",
    "propose_priority",
    "decide_priority",
    "withdraw",
]
CUSTOMER_FORMS = {
    "confirm_solution": ConfirmSolutionForm,
    "refuse_solution": RefuseSolutionForm,
    "escalate": EscalationForm,
    "propose_priority": PriorityProposalForm,
    "decide_priority": ProposalDecisionForm,
    "withdraw": WithdrawForm,
}


def open_diagnostics_items(ticket: Ticket) -> list[DiagnosticsRequestItem]:
    request = ticket.diagnostics_requests.filter(answered_at__isnull=True).order_by("-id").first()
    return list(request.items.filter(done=False)) if request is not None else []


def _customer_form(name: str, ticket: Ticket, user: User, data=None, files=None, proposal=None):
    kwargs: dict = {"ticket": ticket, "user": user}
    if name == "customer_reply":
        return CustomerReplyForm(data, files, open_items=open_diagnostics_items(ticket), **kwargs)
    form = CUSTOMER_FORMS[name](data, files, **kwargs)
    if name == "decide_priority" and proposal is not None and data is None:
        form.initial["proposal"] = proposal.pk
    return form


@login_required
def ticket_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _customer_page(request, load_ticket(request.user, number))


def _customer_page(
    request: AuthenticatedRequest, ticket: Ticket, failed: tuple[str, object] | None = None
) -> HttpResponse:
    proposal = pending_proposal(ticket)
    allowed = allowed_actions(request.user, ticket, CUSTOMER_ACTIONS, proposal)
    forms = {
        name: _customer_form(name, ticket, request.user, proposal=proposal)
        for name in CUSTOMER_ACTIONS
        if name in allowed
    }
    status = 200
    error = ""
    if failed is not None:
        name, form = failed
        forms[name] = form
        status = getattr(form, "status", 422)
        error = form_error(form)
    events = timeline_items(ticket, customer_timeline(ticket), label=actor_label, for_customer=True)
    context = {
        "ticket": ticket,
        "events": events,
        "attachments": [a for item in events for a in item["attachments"]],
        "forms": forms,
        "proposal": proposal,
        "open_items": open_diagnostics_items(ticket) if "customer_reply" in forms else [],
        "error": error,
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


def _customer_action(
    request: AuthenticatedRequest, number: str, name: str, perform, success: str
) -> HttpResponse:
    """Check access, validate, call one service, redirect back; a refusal re-renders the page
    with the message and the user's input, and nothing changed."""
    ticket = load_ticket(request.user, number)
    form = _customer_form(name, ticket, request.user, request.POST, request.FILES)
    if run_action(form, lambda data: perform(ticket, request.user, data)) is None:
        return _customer_page(request, ticket, failed=(name, form))
    messages.success(request, success)
    return redirect("ticket_detail", ticket.number)


@login_required
@require_POST
def ticket_reply(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.add_customer_reply(
            ticket=ticket,
            actor=actor,
            body=data["body"],
            files=data["files"],
            provided_items=data.get("provided_items"),
        )

    return _customer_action(request, number, "customer_reply", perform, _("Your message is sent."))


@login_required
@require_POST
def ticket_confirm(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.confirm_solution(ticket=ticket, actor=actor, comment=data["comment"])

    return _customer_action(
        request,
        number,
        "confirm_solution",
        perform,
        _("Thank you. You confirmed the solution and the request is closed."),
    )


@login_required
@require_POST
def ticket_refuse(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.refuse_solution(ticket=ticket, actor=actor, reason=data["reason"])

    return _customer_action(
        request,
        number,
        "refuse_solution",
        perform,
        _("Your refusal is recorded; the engineer continues working on the request."),
    )


@login_required
@require_POST
def ticket_escalate(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.request_escalation(
            ticket=ticket,
            actor=actor,
            reason=data["reason"],
            text=data["text"],
            priority_code=data["priority"],
            priority_reason=data["priority_reason"],
        )

    return _customer_action(
        request,
        number,
        "escalate",
        perform,
        _("Your escalation is recorded and the people responsible are notified."),
    )


@login_required
@require_POST
def ticket_priority(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.propose_priority_change(
            ticket=ticket, actor=actor, priority_code=data["priority"], reason=data["reason"]
        )

    return _customer_action(
        request,
        number,
        "propose_priority",
        perform,
        _("Your priority proposal is sent; it takes effect when support accepts it."),
    )


@login_required
@require_POST
def ticket_priority_accept(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.accept_priority_change(
            ticket=ticket, actor=actor, proposal_id=data["proposal"]
        )

    return _customer_action(
        request, number, "decide_priority", perform, _("The new priority is in effect.")
    )


@login_required
@require_POST
def ticket_priority_decline(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.decline_priority_change(
            ticket=ticket, actor=actor, proposal_id=data["proposal"], reason=data["reason"]
        )

    return _customer_action(
        request, number, "decide_priority", perform, _("The priority stays as it was.")
    )


@login_required
@require_POST
def ticket_withdraw(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def perform(ticket, actor, data):
        return services.withdraw_ticket(ticket=ticket, actor=actor, reason=data["reason"])

    return _customer_action(
        request, number, "withdraw", perform, _("The request is withdrawn and closed.")
    )


@login_required
def attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A file of a ticket the user may see, as a download; 404 for anything else."""
    return attachments.attachment_response(access.get_attachment_for_user(request.user, pk))


# Contracts --------------------------------------------------------------------------------------


@login_required
def contracts(request: AuthenticatedRequest) -> HttpResponse:
    _contact_or_403(request.user)
    today = timezone.localdate()
    rows = []
    for contract in (
        access.visible_contracts(request.user)
        .select_related("level", "regulation")
        .prefetch_related("products")
        .order_by("-valid_to", "support_id")
    ):
        level = contract.level
        targets = (
            SlaTarget.objects.filter(level=level)
            .select_related("priority", "reaction_calendar", "resolution_calendar")
            .order_by("priority__rank")
        )
        rows.append(
            {
                "contract": contract,
                "level_name": level.tr("name"),
                "regulation_name": contract.regulation.display_name,
                "status": _contract_status(contract, today),
                "sla": [
                    {
                        "priority": target.priority.tr("name"),
                        "reaction": format_minutes(target.reaction_minutes),
                        "reaction_calendar": target.reaction_calendar.name,
                        "resolution": format_minutes(target.resolution_minutes),
                        "resolution_calendar": target.resolution_calendar.name,
                        "is_example": target.is_example,
                    }
                    for target in targets
                ],
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


def _channels(level) -> list[dict]:
    """The level's channels; one limited to a product line says so (e-mail for one line only)."""
    channels: dict[str, set[str]] = {}
    for rule in allowed_channel_rules(level=level).select_related("product_line"):
        lines = channels.setdefault(rule.channel, set())
        lines.add(rule.product_line.name if rule.product_line_id else "")
    return [
        {
            "name": str(Channel(code).label),
            "only_for": "" if "" in lines else ", ".join(sorted(lines)),
        }
        for code, lines in sorted(channels.items(), key=lambda item: Channel.values.index(item[0]))
    ]


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min") % {"m": rest}
    if not rest:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}


def _contract_status(contract, today: datetime.date) -> str:
    if today > contract.valid_to:
        return "expired"
    if today < contract.valid_from:
        return "not_started"
    return "active"


# Language ---------------------------------------------------------------------------------------


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language on the account, then let Django set the cookie and redirect."""
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in Language.values:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return set_language(request)
