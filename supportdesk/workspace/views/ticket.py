"""The agent's ticket page and every agent action on it: check access, validate, perform one
action, redirect back. Replies and notes are posted with htmx and update the timeline in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.tickets.actions import available_actions
from supportdesk.tickets.context import customer_context
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.queries import pending_proposal, ticket_for_page
from supportdesk.tickets.timeline import attachments_of, timeline_items
from supportdesk.ui.actions import FormAction, form_error, run_action
from supportdesk.ui.forms import (
    AcceptProposalForm,
    DeclineProposalForm,
    PriorityProposalForm,
    TicketActionForm,
)
from supportdesk.workspace.forms import (
    AssignForm,
    DiagnosticsForm,
    MergeForm,
    NoteForm,
    NotEntitledForm,
    OverridePriorityForm,
    ReopenForm,
    ReplyForm,
    SolutionForm,
    SplitForm,
    TakeForm,
    WorkMethodForm,
)
from supportdesk.workspace.views.speed import canned_groups, newest_first


def _new_priority(ticket: Ticket) -> str:
    return _("The priority is now %(priority)s.") % {"priority": ticket.priority}


def _assigned(ticket: Ticket) -> str:
    return _("Assigned to %(name)s.") % {"name": ticket.owner.user if ticket.owner else "—"}


def _merged(ticket: Ticket) -> str:
    into = ticket.merged_into.number if ticket.merged_into else "—"
    return _("Merged into %(number)s.") % {"number": into}


# URL name suffix → action (its form's key on the page), form, message after success.
ACTIONS: dict[str, FormAction] = {
    "take": FormAction("take", TakeForm, gettext_lazy("You own this request now.")),
    "assign": FormAction(
        "assign",
        AssignForm,
        _assigned,
    ),
    "reply": FormAction(
        "public_reply", ReplyForm, gettext_lazy("The reply is sent to the customer.")
    ),
    "note": FormAction("internal_note", NoteForm, gettext_lazy("The internal note is added.")),
    "diagnostics": FormAction(
        "request_diagnostics",
        DiagnosticsForm,
        gettext_lazy("The diagnostics are requested; the request waits for the customer."),
    ),
    "solution": FormAction(
        "propose_solution",
        SolutionForm,
        gettext_lazy("The solution is proposed; the customer confirms or refuses it."),
    ),
    "priority": FormAction(
        "propose_priority",
        PriorityProposalForm,
        gettext_lazy("The priority change is proposed; it takes effect when the customer accepts."),
    ),
    "priority_accept": FormAction("decide_priority", AcceptProposalForm, _new_priority),
    "priority_decline": FormAction(
        "decide_priority", DeclineProposalForm, gettext_lazy("The proposal is declined.")
    ),
    "override": FormAction("override_priority", OverridePriorityForm, _new_priority),
    "work_method": FormAction(
        "agree_work_method",
        WorkMethodForm,
        lambda ticket: _("Work method agreed: %(method)s.") % {"method": ticket.work_method},
    ),
    "split": FormAction(
        "split",
        SplitForm,
        lambda new: _("The second problem is registered as %(number)s.") % {"number": new.number},
    ),
    "merge": FormAction(
        "merge",
        MergeForm,
        _merged,
    ),
    "reopen": FormAction("reopen", ReopenForm, gettext_lazy("The request is reopened.")),
    "not_entitled": FormAction(
        "close", NotEntitledForm, gettext_lazy("The request is closed as not entitled.")
    ),
}
# The forms the page offers, by action; answering a proposal is one form with two buttons.
PAGE_FORMS: dict[str, type[TicketActionForm]] = {
    entry.action: entry.form for key, entry in ACTIONS.items() if key != "priority_decline"
}
# Posted with htmx: they add to the timeline and change nothing else on the page.
TIMELINE_FORMS = {"public_reply": "reply-form", "internal_note": "note-form"}


def _agent_ticket(request: AuthenticatedRequest, number: str) -> Ticket:
    """The ticket for an agent: 403 for anybody else, 404 outside the agent's queue."""
    if not access.is_agent(request.user):
        raise PermissionDenied
    return ticket_for_page(request.user, number)


@login_required
def ticket(request: AuthenticatedRequest, number: str) -> HttpResponse:
    return _ticket_page(request, _agent_ticket(request, number))


def _ticket_page(
    request: AuthenticatedRequest,
    ticket: Ticket,
    failed: tuple[str, TicketActionForm] | None = None,
) -> HttpResponse:
    proposal = pending_proposal(ticket)
    allowed = available_actions(request.user, ticket, PAGE_FORMS, proposal)
    forms = {
        name: form_class(ticket=ticket, user=request.user)
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
    newest = newest_first(request)
    context = {
        "ticket": ticket,
        "events": events[::-1] if newest else events,
        "newest_first": newest,
        "canned": canned_groups(ticket, request.user),
        "attachments": attachments_of(events),
        "forms": forms,
        "proposal": proposal,
        "error": error,
        "customer": customer_context(
            request.user, organization=ticket.organization, contact=ticket.contact, exclude=ticket
        ),
    }
    return render(request, "workspace/ticket.html", context, status=status)


@login_required
@require_POST
def ticket_action(request: AuthenticatedRequest, number: str, name: str) -> HttpResponse:
    """One agent action: check access, validate, perform, redirect back with a message. A
    refusal re-renders the page (or, with htmx, the form) with the message and the input;
    nothing changed."""
    entry = ACTIONS.get(name)
    if entry is None:
        raise Http404
    ticket = _agent_ticket(request, number)
    form = entry.form(request.POST, request.FILES, ticket=ticket, user=request.user)
    result = run_action(form)
    partial = TIMELINE_FORMS.get(entry.action) if request.htmx else None
    if partial is not None:
        context: dict = {
            "ticket": ticket,
            "forms": {entry.action: form},
            "canned": canned_groups(ticket, request.user),
        }
        if result is None:
            response = render(request, f"workspace/ticket.html#{partial}", context)
            return reswap(retarget(response, f"#{partial}"), "outerHTML")
        context["forms"] = {entry.action: entry.form(ticket=ticket, user=request.user)}
        events = timeline_items(ticket, request.user)
        context["events"] = events[::-1] if newest_first(request) else events
        context["canned"] = canned_groups(ticket, request.user)
        context["oob"] = partial
        return render(request, "workspace/ticket_timeline_update.html", context)
    if result is None:
        return _ticket_page(request, ticket, failed=(entry.action, form))
    messages.success(request, entry.message(result))
    return redirect("workspace:ticket", ticket.number)
