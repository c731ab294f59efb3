"""Every agent action on a ticket through its URL: the mapping onto the action, the refusals
(status, message, nothing changed) and who may post at all."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from supportdesk.portal.tests.helpers import (
    everybody_reads_english,
    flow_events,
    ngfw_ticket,
    refresh,
    sep_ticket,
    snapshot,
)
from supportdesk.tickets import actions
from supportdesk.tickets.models import (
    CloseReason,
    PriorityProposal,
    Ticket,
    TicketEvent,
    TicketState,
)
from supportdesk.workspace.tests.helpers import as_user, page_forms, portal, posted, ws
from supportdesk.workspace.views import ticket as ticket_views

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow
Kind = TicketEvent.Kind
MARKER = "INTERNAL-7f3a-do-not-leak"


@pytest.fixture(autouse=True)
def _frozen(cast):
    everybody_reads_english()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


# Every action URL maps onto its action ---------------------------------------------------------
# Each row: the state the ticket is brought to through the actions, who posts, the form data, the
# event the action writes and the message the page shows. What the actions themselves decide is
# tested in tickets/tests/actions/; here only the mapping from URL and form to action.


def _owned(cast) -> Ticket:
    return actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)


def _proposed_by_customer(cast) -> Ticket:
    ticket = _owned(cast)
    return actions.propose_priority_change(
        ticket=ticket, actor=cast.customer_alpha, priority_code="p2", reason="Spreading."
    )


def _closed(cast) -> Ticket:
    return actions.close_not_entitled(ticket=_owned(cast), actor=cast.engineer, reason="Consumer.")


def _proposal(ticket: Ticket) -> int:
    return PriorityProposal.objects.get(ticket=ticket, state="pending").pk


MAPPING: dict[str, tuple] = {
    # url name: (setup, who, data(ticket, cast), event kind, message(ticket))
    "take": (sep_ticket, "engineer", lambda t, c: {}, Kind.ASSIGNED, "You own this request now."),
    "assign": (
        sep_ticket,
        "manager",
        lambda t, c: {"assignee": c.engineer.agent.pk},
        Kind.ASSIGNED,
        "Assigned to Сергей Орлов.",
    ),
    "reply": (
        _owned,
        "engineer",
        lambda t, c: {"body": "Please update."},
        Kind.PUBLIC_REPLY,
        "The reply is sent to the customer.",
    ),
    "note": (
        sep_ticket,
        "engineer",
        lambda t, c: {"body": "Check the pool."},
        Kind.INTERNAL_NOTE,
        "The internal note is added.",
    ),
    "diagnostics": (
        _owned,
        "engineer",
        lambda t, c: {"items": ["logs"], "message": "The last hour, please."},
        Kind.DIAGNOSTICS_REQUESTED,
        "The diagnostics are requested; the request waits for the customer.",
    ),
    "solution": (
        _owned,
        "engineer",
        lambda t, c: {"body": "Restart the service."},
        Kind.SOLUTION_PROPOSED,
        "The solution is proposed; the customer confirms or refuses it.",
    ),
    "priority": (
        _owned,
        "engineer",
        lambda t, c: {"priority": "p3", "reason": "Fewer clients."},
        Kind.PRIORITY_PROPOSED,
        "The priority change is proposed; it takes effect when the customer accepts.",
    ),
    "priority_accept": (
        _proposed_by_customer,
        "engineer",
        lambda t, c: {"proposal": _proposal(t)},
        Kind.PRIORITY_CHANGED,
        "The priority is now High.",
    ),
    "priority_decline": (
        _proposed_by_customer,
        "engineer",
        lambda t, c: {"proposal": _proposal(t), "reason": "Only one client."},
        Kind.PRIORITY_DECLINED,
        "The proposal is declined.",
    ),
    "override": (
        _owned,
        "manager",
        lambda t, c: {"priority": "p1", "reason": "Bank is down."},
        Kind.PRIORITY_OVERRIDDEN,
        "The priority is now Critical.",
    ),
    "work_method": (
        _owned,
        "engineer",
        lambda t, c: {"method": "phone", "note": "Tue 10:00"},
        Kind.WORK_METHOD_AGREED,
        None,
    ),
    "split": (
        _owned,
        "engineer",
        lambda t, c: {"subject": "Reports", "description": "Reports are empty."},
        Kind.SPLIT,
        None,
    ),
    "merge": (
        _owned,
        "engineer",
        lambda t, c: {"target": sep_ticket(c, subject="Console is slow").number},
        Kind.MERGED,
        None,
    ),
    "reopen": (
        _closed,
        "engineer",
        lambda t, c: {"reason": "Contract renewed."},
        Kind.STATE_CHANGED,
        "The request is reopened.",
    ),
    "not_entitled": (
        _owned,
        "engineer",
        lambda t, c: {"reason": "Consumer product."},
        Kind.STATE_CHANGED,
        "The request is closed as not entitled.",
    ),
}


def test_every_action_url_is_mapped_here():
    assert set(MAPPING) == set(ticket_views.ACTIONS)


@pytest.mark.parametrize("name", sorted(MAPPING))
def test_an_action_url_performs_its_action_and_says_so(client, cast, name):
    setup, who, data, kind, message = MAPPING[name]
    ticket = setup(cast)
    since = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first()
    as_user(client, getattr(cast, who))

    response = client.post(ws(f"ticket_{name}", ticket), data(ticket, cast), follow=True)

    assert response.redirect_chain == [(ws("ticket", ticket), 302)]
    written = TicketEvent.objects.filter(ticket=ticket, pk__gt=since).values_list("kind", flat=True)
    assert kind in written
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1
    if message is not None:
        assert shown == [message]


# Refusals: the status, the message on the page, nothing changed --------------------------------

# Assignment -------------------------------------------------------------------------------------


def test_manager_assigns_then_reassigns_with_a_reason(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.manager)
    form = client.get(ws("ticket", ticket)).context["forms"]["assign"]
    # Agents of the ticket's team who can own a ticket: not the English team's engineer.
    assert {a.user.email for a in form.fields["assignee"].queryset} == {
        "engineer@support.example",
        "manager@support.example",
    }

    posted(client, ws("ticket_assign", ticket), {"assignee": cast.engineer.agent.pk})
    assert refresh(ticket).owner == cast.engineer.agent

    before = snapshot(ticket)
    response = posted(
        client, ws("ticket_assign", ticket), {"assignee": cast.manager.agent.pk}, status=422
    )
    assert response.context["error"] == "Say why the request is handed over to another engineer."
    assert snapshot(ticket) == before
    posted(
        client,
        ws("ticket_assign", ticket),
        {"assignee": cast.manager.agent.pk, "reason": "Engineer on leave"},
    )
    assert refresh(ticket).owner == cast.manager.agent


def test_take_of_an_owned_ticket_is_refused_and_changes_nothing(client, cast):
    ticket = sep_ticket(cast)
    posted(as_user(client, cast.manager), ws("ticket_take", ticket))
    before = snapshot(ticket)

    response = posted(as_user(client, cast.engineer), ws("ticket_take", ticket), status=409)

    assert "already owned" in response.context["error"]
    assert snapshot(ticket) == before


# Priority ---------------------------------------------------------------------------------------


def test_customer_proposes_a_priority_and_the_engineer_accepts(client, cast):
    ticket = sep_ticket(cast, priority_code="p3")
    posted(as_user(client, cast.engineer), ws("ticket_take", ticket))
    posted(
        as_user(client, cast.customer_alpha),
        portal("ticket_priority", ticket),
        {"priority": "p2", "reason": "Half of the clients are affected."},
    )
    proposal = PriorityProposal.objects.get()
    assert (proposal.side, proposal.state, proposal.to_priority.code) == (
        "customer",
        "pending",
        "p2",
    )

    as_user(client, cast.engineer)
    page = client.get(ws("ticket", ticket))
    assert "decide_priority" in page.context["forms"]
    assert "Half of the clients are affected." in page.content.decode()
    posted(client, ws("ticket_priority_accept", ticket), {"proposal": proposal.pk})

    assert refresh(ticket).priority.code == "p2"
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by) == ("accepted", cast.engineer)


def test_the_proposer_cannot_accept_their_own_proposal(client, cast):
    ticket = sep_ticket(cast, priority_code="p3")
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    posted(client, ws("ticket_priority", ticket), {"priority": "p4", "reason": "Workaround works."})
    proposal = PriorityProposal.objects.get()
    assert "decide_priority" not in page_forms(client, ticket)
    before = snapshot(ticket)

    response = posted(
        client, ws("ticket_priority_accept", ticket), {"proposal": proposal.pk}, status=403
    )

    assert response.context["error"] == (
        "Only the other side accepts or declines a proposed priority change."
    )
    assert snapshot(ticket) == before


def test_manager_overrides_the_priority_engineer_may_not(client, cast):
    ticket = sep_ticket(cast, priority_code="p3")
    posted(as_user(client, cast.engineer), ws("ticket_take", ticket))
    before = snapshot(ticket)
    response = posted(
        client, ws("ticket_override", ticket), {"priority": "p1", "reason": "x"}, status=403
    )
    assert "not allowed" in response.context["error"]
    assert snapshot(ticket) == before

    as_user(client, cast.manager)
    response = posted(client, ws("ticket_override", ticket), {"priority": "p1"}, status=422)
    assert response.context["error"] == "Say why the priority is overridden."
    assert snapshot(ticket) == before
    posted(client, ws("ticket_override", ticket), {"priority": "p1", "reason": "Bank is down."})

    assert refresh(ticket).priority.code == "p1"
    event = flow_events(ticket).last()
    assert (event.kind, event.body, event.data) == (
        Kind.PRIORITY_OVERRIDDEN,
        "Bank is down.",
        {"from": "p3", "to": "p1", "override": True},
    )


# Work method ------------------------------------------------------------------------------------


def test_work_method_offers_only_the_levels_methods(client, cast):
    premium = ngfw_ticket(cast)
    standard = ngfw_ticket(cast, license_key="UGNGFW-STD0-0000-0077")
    as_user(client, cast.engineer)
    for ticket in (premium, standard):
        posted(client, ws("ticket_take", ticket))

    def methods(ticket):
        form = client.get(ws("ticket", ticket)).context["forms"]["agree_work_method"]
        return [code for code, _label in form.fields["method"].choices]

    assert methods(premium) == ["portal", "remote", "phone"]
    assert methods(standard) == ["portal", "remote"]

    before = snapshot(standard)
    posted(client, ws("ticket_work_method", standard), {"method": "phone"}, status=422)
    assert snapshot(standard) == before
    posted(client, ws("ticket_work_method", standard), {"method": "remote", "note": "Tue 10:00"})
    standard = refresh(standard)
    assert standard.work_method is not None and standard.work_method.code == "remote"
    assert standard.state == TicketState.IN_PROGRESS


# Split and merge --------------------------------------------------------------------------------


def test_split_and_merge(client, cast):
    ticket = sep_ticket(cast)
    other = sep_ticket(cast, subject="Console is slow")
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))

    response = posted(
        client,
        ws("ticket_split", ticket),
        {"subject": "Reports are empty", "description": "The weekly report has no rows."},
    )
    new = Ticket.objects.get(split_from=ticket)
    assert response.url == ws("ticket", ticket)
    assert (new.subject, new.description, new.contact, new.state) == (
        "Reports are empty",
        "The weekly report has no rows.",
        ticket.contact,
        TicketState.REGISTERED,
    )
    assert [str(m) for m in client.get(ws("ticket", ticket)).context["messages"]] == [
        "You own this request now.",
        f"The second problem is registered as {new.number}.",
    ]

    before = snapshot(ticket)
    response = posted(client, ws("ticket_merge", ticket), {"target": "SD-2026-999999"}, status=422)
    assert response.context["error"] == "There is no request SD-2026-999999."
    assert snapshot(ticket) == before

    posted(client, ws("ticket_merge", ticket), {"target": other.number, "reason": "Same cause"})
    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason, ticket.merged_into) == (
        TicketState.CLOSED,
        CloseReason.DUPLICATE,
        other,
    )
    assert TicketEvent.objects.filter(ticket=other, kind=Kind.MERGED_IN).get().data == {
        "from": ticket.number
    }
    # A merged ticket is not reopened: it continues in the target.
    assert "reopen" not in page_forms(client, ticket)


def test_merge_into_another_organizations_ticket_is_not_found(client, cast):
    ticket = sep_ticket(cast)
    beta = ngfw_ticket(cast)
    as_user(client, cast.manager)
    before = snapshot(ticket)

    response = posted(client, ws("ticket_merge", ticket), {"target": beta.number}, status=404)

    assert response.context["error"] == "Not found."
    assert snapshot(ticket) == before


# Close and reopen -------------------------------------------------------------------------------


def test_close_as_not_entitled_then_reopen(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    before = snapshot(ticket)
    posted(client, ws("ticket_not_entitled", ticket), {"reason": ""}, status=422)
    assert snapshot(ticket) == before

    posted(client, ws("ticket_not_entitled", ticket), {"reason": "Consumer product."})
    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.NOT_ENTITLED)

    before = snapshot(ticket)
    posted(client, ws("ticket_reopen", ticket), {"reason": " "}, status=422)
    assert snapshot(ticket) == before
    posted(client, ws("ticket_reopen", ticket), {"reason": "Contract was renewed."})
    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.IN_PROGRESS,
        "",
        None,
    )


# Access -----------------------------------------------------------------------------------------

ACTION_URLS = [
    "ticket",
    "ticket_take",
    "ticket_assign",
    "ticket_reply",
    "ticket_note",
    "ticket_diagnostics",
    "ticket_solution",
    "ticket_priority",
    "ticket_priority_accept",
    "ticket_priority_decline",
    "ticket_override",
    "ticket_work_method",
    "ticket_split",
    "ticket_merge",
    "ticket_reopen",
    "ticket_not_entitled",
]


@pytest.mark.parametrize("name", ACTION_URLS)
def test_customers_get_403_and_anonymous_users_sign_in_on_every_workspace_url(client, cast, name):
    ticket = sep_ticket(cast)
    url = ws(name, ticket)
    before = snapshot(ticket)

    anonymous = client.post(url, {"body": "x", "reason": "x"})
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("account_login"))
    as_user(client, cast.customer_alpha)
    assert client.get(url).status_code in (403, 405)
    assert client.post(url, {"body": "x", "reason": "x", "priority": "p1"}).status_code == 403
    assert snapshot(ticket) == before


def test_actions_are_post_only(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    before = snapshot(ticket)

    assert client.get(ws("ticket_take", ticket)).status_code == 405
    assert snapshot(ticket) == before


def test_engineer_of_another_team_does_not_find_the_ticket(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer_en)
    before = snapshot(ticket)

    assert client.get(ws("ticket", ticket)).status_code == 404
    assert client.post(ws("ticket_take", ticket)).status_code == 404
    assert client.post(ws("ticket_note", ticket), {"body": "x"}).status_code == 404
    assert snapshot(ticket) == before


def test_engineer_who_does_not_own_the_ticket_cannot_reply(client, cast):
    ticket = sep_ticket(cast)
    posted(as_user(client, cast.manager), ws("ticket_take", ticket))
    before = snapshot(ticket)

    response = posted(
        as_user(client, cast.engineer), ws("ticket_reply", ticket), {"body": "Hi"}, status=403
    )

    assert "not allowed" in response.context["error"]
    assert snapshot(ticket) == before
