"""The customer portal: a contact's requests, new requests, contracts; the language switch.

Views check access through ``accounts.access``, validate, call one service and render.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from supportdesk.accounts import access
from supportdesk.accounts.models import Contact, Language, User
from supportdesk.contracts.entitlements import active_contracts, allowed_channel_rules, hotlines_for
from supportdesk.portal.forms import RequestForm
from supportdesk.regulations.models import Channel, Priority, SlaTarget
from supportdesk.tickets.models import RefusedRegistration, TicketEvent, TicketState
from supportdesk.tickets.services import RegistrationRefused, RegistrationRequest, register_ticket

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
        tickets = tickets.filter(Q(registered_at__lt=moment) | Q(registered_at=moment, id__lt=pk))
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
def ticket_list(request: HttpRequest) -> HttpResponse:
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
def ticket_new(request: HttpRequest) -> HttpResponse:
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
    request: HttpRequest, contact: Contact, form: RequestForm
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


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = access.get_ticket_for_user(request.user, number)
    events = [{"event": event, "actor": actor_label(event)} for event in customer_timeline(ticket)]
    return render(request, "portal/ticket_detail.html", {"ticket": ticket, "events": events})


# Contracts --------------------------------------------------------------------------------------


@login_required
def contracts(request: HttpRequest) -> HttpResponse:
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
                "regulation_name": _regulation_name(contract.regulation),
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


def _regulation_name(regulation) -> str:
    english = (translation.get_language() or "").startswith("en")
    return regulation.name_en if english and regulation.name_en else regulation.name


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
