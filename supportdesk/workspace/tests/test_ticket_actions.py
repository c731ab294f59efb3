"""The agent's ticket page and every action on it, through the views, with the customer's side in
the portal where a flow needs both."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from supportdesk.outbox.models import OutboxMessage
from supportdesk.portal.tests.helpers import (
    everybody_reads_english,
    flow_events,
    ngfw_ticket,
    png_bytes,
    png_file,
    refresh,
    sep_ticket,
    snapshot,
)
from supportdesk.tickets.models import (
    Attachment,
    CloseReason,
    DiagnosticsRequest,
    PriorityProposal,
    Ticket,
    TicketEvent,
    TicketState,
)

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow
Kind = TicketEvent.Kind
MARKER = "INTERNAL-7f3a-do-not-leak"


@pytest.fixture(autouse=True)
def _frozen(cast):
    everybody_reads_english()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def ws(name: str, ticket: Ticket) -> str:
    return reverse(f"workspace:{name}", args=[ticket.number])


def portal(name: str, ticket: Ticket) -> str:
    return reverse(name, args=[ticket.number])


def as_user(client, user):
    client.force_login(user)
    return client


def posted(client, url: str, data: dict | None = None, status: int = 302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def page_forms(client, ticket: Ticket) -> set[str]:
    return set(client.get(ws("ticket", ticket)).context["forms"])


# The whole path ---------------------------------------------------------------------------------


@pytest.mark.parametrize("regulation", ["000", "002"])
def test_engineer_and_customer_carry_a_ticket_to_closed(client, cast, regulation):
    ticket, customer = (
        (sep_ticket(cast), cast.customer_alpha)
        if regulation == "000"
        else (ngfw_ticket(cast), cast.customer_beta)
    )
    assert ticket.regulation.code == regulation
    engineer = cast.engineer

    as_user(client, engineer)
    response = posted(client, ws("ticket_take", ticket))
    assert response.url == ws("ticket", ticket)
    ticket = refresh(ticket)
    assert (ticket.state, ticket.owner) == (TicketState.IN_PROGRESS, engineer.agent)

    posted(
        client,
        ws("ticket_diagnostics", ticket),
        {
            "items": ["logs", "network_diagram", "other"],
            "other": "a screenshot of the error",
            "message": "Please send the logs of the last hour.",
        },
    )
    assert refresh(ticket).state == TicketState.WAITING_FOR_CUSTOMER
    request = DiagnosticsRequest.objects.get(ticket=ticket)
    items = list(request.items.order_by("id"))
    assert [(i.kind, i.text, i.done) for i in items] == [
        ("logs", "", False),
        ("network_diagram", "", False),
        ("other", "a screenshot of the error", False),
    ]

    # The customer sees the requested items, ticked by default, and answers with a real PNG.
    as_user(client, customer)
    page = client.get(portal("ticket_detail", ticket))
    form = page.context["forms"]["customer_reply"]
    assert [choice[0] for choice in form.fields["provided_items"].choices] == [i.pk for i in items]
    assert "a screenshot of the error" in page.content.decode()
    posted(
        client,
        portal("ticket_reply", ticket),
        {
            "body": "Here is the screenshot.",
            "files": [png_file()],
            "provided_items": [items[2].pk],
        },
    )
    ticket = refresh(ticket)
    assert ticket.state == TicketState.IN_PROGRESS
    assert [(i.kind, i.done) for i in request.items.order_by("id")] == [
        ("logs", False),
        ("network_diagram", False),
        ("other", True),
    ]
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "screenshot.png",
        "image/png",
        len(png_bytes()),
    )
    assert attachment.event is not None and attachment.event.kind == Kind.CUSTOMER_REPLY

    # The engineer downloads it and proposes a solution.
    as_user(client, engineer)
    download = client.get(reverse("attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png_bytes()
    assert download["X-Content-Type-Options"] == "nosniff"
    posted(client, ws("ticket_solution", ticket), {"body": "Update the definitions server."})
    assert refresh(ticket).state == TicketState.SOLUTION_PROPOSED

    # A refusal without a reason is refused and changes nothing; with a reason it is accepted.
    as_user(client, customer)
    before = snapshot(ticket)
    response = posted(client, portal("ticket_refuse", ticket), {"reason": "  "}, status=422)
    assert snapshot(ticket) == before
    assert response.context["error"] == "Say why the proposed solution does not solve the problem."
    posted(client, portal("ticket_refuse", ticket), {"reason": "Still old definitions."})
    ticket = refresh(ticket)
    assert ticket.state == TicketState.IN_PROGRESS
    refusal = TicketEvent.objects.filter(ticket=ticket, kind=Kind.SOLUTION_REFUSED).get()
    assert refusal.body == "Still old definitions."

    as_user(client, engineer)
    posted(client, ws("ticket_solution", ticket), {"body": "Restart the LiveUpdate service."})
    as_user(client, customer)
    assert page_forms_portal(client, ticket) >= {"confirm_solution", "refuse_solution"}
    posted(client, portal("ticket_confirm", ticket), {"comment": "Works now, thank you."})
    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.CONFIRMED)
    assert ticket.closed_at == NOW
    assert list(flow_events(ticket).values_list("kind", flat=True)) == [
        Kind.REGISTERED,
        Kind.ASSIGNED,
        Kind.STATE_CHANGED,
        Kind.DIAGNOSTICS_REQUESTED,
        Kind.STATE_CHANGED,
        Kind.CUSTOMER_REPLY,
        Kind.STATE_CHANGED,
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,
        Kind.SOLUTION_REFUSED,
        Kind.STATE_CHANGED,
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,
        Kind.STATE_CHANGED,
    ]
    # Closed: the customer has no actions left, the engineer may only reopen or note.
    assert page_forms_portal(client, ticket) == set()
    as_user(client, engineer)
    assert page_forms(client, ticket) == {"internal_note", "reopen"}


def page_forms_portal(client, ticket: Ticket) -> set[str]:
    return set(client.get(portal("ticket_detail", ticket)).context["forms"])


# The page ---------------------------------------------------------------------------------------


def test_page_shows_the_header_and_the_full_timeline_with_internal_notes(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    posted(client, ws("ticket_note", ticket), {"body": f"Check the licence pool {MARKER}"})

    response = client.get(ws("ticket", ticket))

    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        ticket.number,
        "Clients do not receive definitions",
        "ООО «Альфа-Системы»",
        "ivan@alpha.example",
        "SYM-100200",
        "Symantec Endpoint Protection 14.3 RU9",
        "Windows Server 2022, KB5034439",
        "Russian support",
        MARKER,
    ]:
        assert text in html, text
    note = [item for item in response.context["events"] if item["internal"]]
    assert [item["event"].kind for item in note] == [Kind.INTERNAL_NOTE]
    assert 'class="event event-internal_note event-internal"' in html
    # 12:30 Moscow for the engineer in Moscow.
    assert "12:30" in html


def test_queue_rows_link_to_the_workspace_ticket_page(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)

    html = client.get(reverse("workspace:home")).content.decode()

    assert f'href="{ws("ticket", ticket)}"' in html


def test_forms_follow_the_state_and_the_role(client, cast):
    ticket = sep_ticket(cast)

    assert page_forms(as_user(client, cast.engineer), ticket) == {"take", "internal_note"}
    assert page_forms(as_user(client, cast.dispatcher), ticket) == {"assign", "internal_note"}
    assert page_forms(as_user(client, cast.manager), ticket) == {
        "take",
        "assign",
        "public_reply",
        "internal_note",
        "propose_priority",
        "override_priority",
        "agree_work_method",
        "split",
        "merge",
        "close",
    }
    posted(as_user(client, cast.engineer), ws("ticket_take", ticket))
    assert page_forms(client, ticket) == {
        "assign",
        "public_reply",
        "internal_note",
        "request_diagnostics",
        "propose_solution",
        "propose_priority",
        "agree_work_method",
        "split",
        "merge",
        "close",
    }


def test_ticket_page_query_budget(client, cast, django_assert_max_num_queries):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    for n in range(10):
        posted(client, ws("ticket_note", ticket), {"body": f"note {n}", "files": [png_file()]})

    # The page, its timeline and forms, and the SLA timers (clock.load_context, load_steps);
    # independent of the number of events and files.
    with django_assert_max_num_queries(24):
        response = client.get(ws("ticket", ticket))

    assert len(response.context["events"]) == 13


# Replies, notes, htmx ---------------------------------------------------------------------------


def test_reply_and_note_work_without_javascript(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    mails = OutboxMessage.objects.count()

    posted(client, ws("ticket_reply", ticket), {"body": "We are looking into it."})
    posted(client, ws("ticket_note", ticket), {"body": MARKER})

    reply, note = list(flow_events(ticket))[-2:]
    assert (reply.kind, reply.body, reply.is_internal) == (
        Kind.PUBLIC_REPLY,
        "We are looking into it.",
        False,
    )
    assert (note.kind, note.body, note.is_internal) == (Kind.INTERNAL_NOTE, MARKER, True)
    assert OutboxMessage.objects.count() == mails + 1  # the reply only; a note is never mailed
    assert [str(m) for m in client.get(ws("ticket", ticket)).context["messages"]] == [
        "You own this request now.",
        "The reply is sent to the customer.",
        "The internal note is added.",
    ]
    portal_html = as_user(client, cast.customer_alpha).get(portal("ticket_detail", ticket))
    assert "We are looking into it." in portal_html.content.decode()
    assert MARKER not in portal_html.content.decode()


def test_htmx_reply_returns_the_timeline_and_a_fresh_form(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))

    response = client.post(
        ws("ticket_note", ticket),
        {"body": "Seen on two other sites."},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<ol class="timeline" id="timeline">')
    assert "Seen on two other sites." in html
    assert 'id="note-form" hx-swap-oob="true"' in html
    assert "<html" not in html


def test_htmx_empty_reply_rerenders_the_form_with_the_reason(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    before = snapshot(ticket)

    response = client.post(
        ws("ticket_reply", ticket), {"body": " "}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#reply-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert "Write a message or attach a file." in response.content.decode()
    assert snapshot(ticket) == before


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
