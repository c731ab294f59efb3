"""The agent's ticket page: what it shows, which forms it offers, its query budget, and the
replies and notes posted with htmx."""

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
    png_file,
    sep_ticket,
    snapshot,
)
from supportdesk.tickets.models import (
    TicketEvent,
)
from supportdesk.workspace.tests.helpers import as_user, page_forms, portal, posted, ws

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow
Kind = TicketEvent.Kind
MARKER = "INTERNAL-7f3a-do-not-leak"


@pytest.fixture(autouse=True)
def _frozen(cast):
    everybody_reads_english()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


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

    # The page, its timeline and forms, the SLA timers (clock.load_context, load_steps) and the
    # customer context (four bounded lists); independent of the number of events and files.
    with django_assert_max_num_queries(28):
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
