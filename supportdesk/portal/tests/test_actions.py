"""The customer's actions on a request, through the portal views: escalation, priority, withdraw,
attachments, and the isolation between customers."""

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
    png_bytes,
    png_file,
    refresh,
    sep_ticket,
    snapshot,
)
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import (
    Attachment,
    CloseReason,
    Escalation,
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


def url(name: str, ticket: Ticket) -> str:
    return reverse(name, args=[ticket.number])


def as_user(client, user):
    client.force_login(user)
    return client


def posted(client, path: str, data: dict | None = None, status: int = 302):
    response = client.post(path, data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def taken(cast, ticket: Ticket) -> Ticket:
    return actions.take_ticket(ticket=ticket, actor=cast.engineer)


# Escalation -------------------------------------------------------------------------------------


def test_customer_escalates_with_a_priority_proposal(client, cast):
    ticket = taken(cast, sep_ticket(cast, priority_code="p3"))
    as_user(client, cast.customer_alpha)

    response = posted(
        client,
        url("ticket_escalate", ticket),
        {
            "reason": "significant_delay",
            "text": "No answer for two days.",
            "priority": "p2",
            "priority_reason": "More sites are affected now.",
        },
    )

    assert response.url == url("ticket_detail", ticket)
    assert refresh(ticket).escalation_level == 1
    escalation = Escalation.objects.get()
    assert (escalation.reason, escalation.text, escalation.level) == (
        "significant_delay",
        "No answer for two days.",
        1,
    )
    proposal = escalation.priority_proposal
    assert proposal is not None
    assert (proposal.side, proposal.to_priority.code, proposal.reason, proposal.state) == (
        "customer",
        "p2",
        "More sites are affected now.",
        "pending",
    )
    page = client.get(url("ticket_detail", ticket))
    assert [str(m) for m in page.context["messages"]] == [
        "Your escalation is recorded and the people responsible are notified."
    ]
    html = page.content.decode()
    assert "Escalated, level 1" in html
    assert "Significant delay; escalation level 1" in html
    assert "waits for support" in html
    # A pending proposal of the customer's own side: no second proposal, no decision for them.
    assert set(page.context["forms"]) == {
        "customer_reply",
        "escalate",
        "withdraw",
        "agree_work_method",
    }


def test_escalation_for_another_reason_needs_the_text(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.customer_alpha)
    before = snapshot(ticket)

    response = posted(client, url("ticket_escalate", ticket), {"reason": "other"}, status=422)

    assert response.context["error"] == "Describe the reason of the escalation."
    assert response.context["forms"]["escalate"].is_bound
    assert snapshot(ticket) == before


def test_escalation_without_a_reason_is_refused(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.customer_alpha)
    before = snapshot(ticket)

    posted(client, url("ticket_escalate", ticket), {"text": "Hurry"}, status=422)

    assert snapshot(ticket) == before


# Priority ---------------------------------------------------------------------------------------


def test_customer_proposes_a_priority_with_a_reason(client, cast):
    ticket = taken(cast, ngfw_ticket(cast))
    as_user(client, cast.customer_beta)
    form = client.get(url("ticket_detail", ticket)).context["forms"]["propose_priority"]
    assert [code for code, _label in form.fields["priority"].choices] == ["p1", "p3", "p4"]

    before = snapshot(ticket)
    response = posted(client, url("ticket_priority", ticket), {"priority": "p1"}, status=422)
    assert response.context["error"] == "Say why the priority should change."
    assert snapshot(ticket) == before

    posted(client, url("ticket_priority", ticket), {"priority": "p1", "reason": "Office is down"})
    proposal = PriorityProposal.objects.get()
    assert (proposal.side, proposal.from_priority.code, proposal.to_priority.code) == (
        "customer",
        "p2",
        "p1",
    )
    assert refresh(ticket).priority.code == "p2"  # only the other side's acceptance changes it


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_customer_answers_the_engineers_proposal(client, cast, decision):
    ticket = taken(cast, sep_ticket(cast, priority_code="p2"))
    ticket = actions.propose_priority_change(
        ticket=ticket, actor=cast.engineer, priority_code="p3", reason="A workaround is in place."
    )
    proposal = PriorityProposal.objects.get()
    as_user(client, cast.customer_alpha)
    page = client.get(url("ticket_detail", ticket))
    assert "decide_priority" in page.context["forms"]
    assert "A workaround is in place." in page.content.decode()

    posted(
        client,
        url(f"ticket_priority_{decision}", ticket),
        {"proposal": proposal.pk, "reason": "We still lose mail."},
    )

    proposal.refresh_from_db()
    if decision == "accept":
        assert (proposal.state, refresh(ticket).priority.code) == ("accepted", "p3")
    else:
        assert (proposal.state, proposal.decision_reason) == ("declined", "We still lose mail.")
        assert refresh(ticket).priority.code == "p2"


def test_a_proposal_of_another_ticket_is_not_found(client, cast):
    ticket = taken(cast, sep_ticket(cast, priority_code="p2"))
    other = taken(cast, sep_ticket(cast, priority_code="p2"))
    actions.propose_priority_change(
        ticket=other, actor=cast.engineer, priority_code="p3", reason="x"
    )
    proposal = PriorityProposal.objects.get()
    as_user(client, cast.customer_alpha)
    before = snapshot(other)

    response = client.post(url("ticket_priority_accept", ticket), {"proposal": proposal.pk})

    assert response.status_code == 404
    assert snapshot(other) == before


# Withdraw ---------------------------------------------------------------------------------------


def test_customer_withdraws_the_request(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.customer_alpha)

    posted(client, url("ticket_withdraw", ticket), {"reason": "Solved it ourselves."})

    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.WITHDRAWN)
    event = flow_events(ticket).last()
    assert (event.kind, event.body) == (Kind.STATE_CHANGED, "Solved it ourselves.")
    page = client.get(url("ticket_detail", ticket))
    assert page.context["forms"] == {}
    assert "This request is closed." in page.content.decode()
    before = snapshot(ticket)
    response = posted(client, url("ticket_reply", ticket), {"body": "One more thing"}, status=409)
    assert "is closed" in response.context["error"]
    assert snapshot(ticket) == before


# Replies and attachments ------------------------------------------------------------------------


def test_reply_without_text_or_files_is_refused(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.customer_alpha)
    before = snapshot(ticket)

    response = posted(client, url("ticket_reply", ticket), {"body": "  "}, status=422)

    assert response.context["error"] == "Write a message or attach a file."
    assert snapshot(ticket) == before


def test_a_refused_file_is_reported_and_the_text_kept(client, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = sep_ticket(cast)
    as_user(client, cast.customer_alpha)

    posted(
        client,
        url("ticket_reply", ticket),
        {"body": "See attached", "files": [SimpleUploadedFile("tool.exe", b"MZ\x90\x00" * 64)]},
    )

    event = flow_events(ticket).last()
    assert (event.kind, event.body) == (Kind.CUSTOMER_REPLY, "See attached")
    assert Attachment.objects.count() == 0
    html = client.get(url("ticket_detail", ticket)).content.decode()
    assert "tool.exe is not accepted" in html


def test_attachments_are_listed_and_downloaded_with_permission(client, cast):
    ticket = taken(cast, sep_ticket(cast))
    actions.add_internal_note(
        ticket=ticket, actor=cast.engineer, body=MARKER, files=[png_file("internal.png")]
    )
    as_user(client, cast.customer_alpha)
    posted(client, url("ticket_reply", ticket), {"body": "Screen", "files": [png_file()]})
    public = Attachment.objects.get(original_name="screenshot.png")
    internal = Attachment.objects.get(original_name="internal.png")

    page = client.get(url("ticket_detail", ticket))
    html = page.content.decode()
    assert [a.pk for a in page.context["attachments"]] == [public.pk]
    assert reverse("attachment", args=[public.pk]) in html
    assert "internal.png" not in html
    assert MARKER not in html

    download = client.get(reverse("attachment", args=[public.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png_bytes()
    assert download["Content-Disposition"].startswith('attachment; filename="screenshot.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("attachment", args=[internal.pk])).status_code == 404

    as_user(client, cast.customer_beta)
    assert client.get(reverse("attachment", args=[public.pk])).status_code == 404
    as_user(client, cast.colleague_alpha)
    assert client.get(reverse("attachment", args=[public.pk])).status_code == 404
    as_user(client, cast.orgadmin_alpha)
    assert client.get(reverse("attachment", args=[public.pk])).status_code == 200
    as_user(client, cast.engineer)
    assert client.get(reverse("attachment", args=[internal.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("attachment", args=[public.pk])).status_code == 302


def test_internal_notes_never_reach_the_portal_page(client, cast):
    ticket = taken(cast, sep_ticket(cast))
    actions.add_internal_note(ticket=ticket, actor=cast.engineer, body=MARKER)
    actions.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")], message="Logs please"
    )
    as_user(client, cast.customer_alpha)

    html = client.get(url("ticket_detail", ticket)).content.decode()

    assert MARKER not in html
    assert "Internal" not in html
    assert "Logs please" in html
    assert "engineer@support.example" not in html


# Isolation --------------------------------------------------------------------------------------

PORTAL_ACTIONS = [
    "ticket_reply",
    "ticket_confirm",
    "ticket_refuse",
    "ticket_escalate",
    "ticket_priority",
    "ticket_priority_accept",
    "ticket_priority_decline",
    "ticket_withdraw",
]
EVERYTHING = {
    "body": "x",
    "comment": "x",
    "reason": "significant_delay",
    "text": "x",
    "priority": "p1",
    "proposal": "1",
}


def _solution_proposed(cast) -> Ticket:
    ticket = taken(cast, sep_ticket(cast, priority_code="p2"))
    ticket = actions.propose_priority_change(
        ticket=ticket, actor=cast.engineer, priority_code="p3", reason="x"
    )
    return actions.propose_solution(ticket=ticket, actor=cast.engineer, body="Restart it.")


@pytest.mark.parametrize("name", PORTAL_ACTIONS)
def test_another_organizations_customer_gets_404_and_nothing_changes(client, cast, name):
    ticket = _solution_proposed(cast)
    data = dict(EVERYTHING, proposal=PriorityProposal.objects.get().pk)
    before = snapshot(ticket)

    assert as_user(client, cast.customer_beta).post(url(name, ticket), data).status_code == 404
    assert as_user(client, cast.colleague_alpha).post(url(name, ticket), data).status_code == 404
    assert snapshot(ticket) == before


def test_the_org_admin_acts_on_a_colleagues_ticket(client, cast):
    ticket = _solution_proposed(cast)
    as_user(client, cast.orgadmin_alpha)

    posted(client, url("ticket_confirm", ticket))

    ticket = refresh(ticket)
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.CONFIRMED)
    assert flow_events(ticket).last().actor == cast.orgadmin_alpha


def test_an_agent_cannot_act_as_the_customer(client, cast):
    ticket = _solution_proposed(cast)
    as_user(client, cast.engineer)
    before = snapshot(ticket)

    response = posted(client, url("ticket_confirm", ticket), status=403)

    assert "not allowed" in response.context["error"]
    assert snapshot(ticket) == before


def test_anonymous_posts_are_sent_to_sign_in(client, cast):
    ticket = sep_ticket(cast)
    before = snapshot(ticket)

    response = client.post(url("ticket_withdraw", ticket))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert snapshot(ticket) == before
