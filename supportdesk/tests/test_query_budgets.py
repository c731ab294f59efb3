"""Query budgets of the hot paths: a regression that adds SQL per request (or per row, or per
timeline event) fails here. Counts, not times; the timings are in bench/README.md.

Each budget is the count measured when it was set; the counts include the test's savepoint
pair around a transaction (in production: BEGIN is implicit and COMMIT one statement).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk.api.services import create_api_token
from supportdesk.regulations.models import Channel
from supportdesk.tickets import actions
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)

API_PAYLOAD = {
    "support_contact_id": "SC-1001",
    "product": "symantec-endpoint-protection",
    "version": "14.3 RU9",
    "os_version": "Windows Server 2022",
    "service_pack": "KB5034439",
    "description": "Clients show old definitions.",
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def counted(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, [query["sql"] for query in queries.captured_queries]


def within(statements: list[str], budget: int) -> None:
    assert len(statements) <= budget, "\n".join(
        [f"{len(statements)} statements, budget {budget}:", *statements]
    )


def sep_ticket(cast, user=None) -> Ticket:
    user = user or cast.customer_alpha
    return register_ticket(
        request=RegistrationRequest(
            channel=Channel.PORTAL,
            requested_by=user,
            contact=user.contact,
            support_contact_id=user.contact.support_contact_id,
            product=cast.product_sep,
            version="14.3 RU9",
            os_version="Windows Server 2022",
            service_pack="KB5034439",
            description="Clients show old definitions.",
        )
    )


# --- Registration ---------------------------------------------------------------------------

# Since the search index (cockpit): + the contact's phones, the search keys row and, on SQLite,
# the FTS5 row (delete + insert; one statement on PostgreSQL). Over issue 11's 12 on SQLite.
API_REGISTRATION_BUDGET = 14  # token+user+contact, product, contract, coverage, number, ticket,
# event, outbox row, savepoint + release (in production: the commit)


def test_api_registration_budget(client, cast):
    _, plain = create_api_token(user=cast.customer_alpha, name="budget")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}

    def post():
        return client.post(
            "/api/v1/tickets", API_PAYLOAD, content_type="application/json", **headers
        )

    assert post().status_code == 201  # warms the per-process caches and writes the last use
    response, statements = counted(post)

    assert response.status_code == 201
    within(statements, API_REGISTRATION_BUDGET)
    # The ticket, its event and its e-mail, written in one transaction.
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.events.filter(kind=TicketEvent.Kind.REGISTERED).count() == 1
    assert ticket.outbox.filter(template="ticket_registered").count() == 1
    assert ticket.reaction_due_at is not None and ticket.sla_next_check_at is not None


def test_api_token_last_use_is_written_at_most_once_a_minute(client, cast):
    token, plain = create_api_token(user=cast.customer_alpha, name="budget")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    client.get("/api/v1/tickets", **headers)
    token.refresh_from_db()
    assert token.last_used_at == NOW

    with time_machine.travel(NOW + datetime.timedelta(seconds=59), tick=False):
        _, statements = counted(lambda: client.get("/api/v1/tickets", **headers))
    assert not any(sql.startswith("UPDATE") for sql in statements)
    token.refresh_from_db()
    assert token.last_used_at == NOW

    later = NOW + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/tickets", **headers)
    token.refresh_from_db()
    assert token.last_used_at == later


# + the idempotency-key lookup, the phones, the search rows (see above).
PORTAL_REGISTRATION_BUDGET = 20  # session, user, contact, active contracts, the form's contract
# and product, the entitlement's contract and coverage, then the five of the transaction


def test_portal_registration_budget(client, cast):
    client.force_login(cast.customer_alpha)
    data = {
        "contract": cast.contract_alpha.pk,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep.pk,
        "version": "14.3 RU8",
        "os_version": "Windows Server 2019",
        "service_pack": "CU 2024-01",
        "priority": "p3",
        "description": "Since Monday the clients do not download new definitions.",
    }
    assert client.post(reverse("ticket_new"), data).status_code == 302
    response, statements = counted(lambda: client.post(reverse("ticket_new"), data))

    assert response.status_code == 302
    within(statements, PORTAL_REGISTRATION_BUDGET)


# --- Lists ----------------------------------------------------------------------------------

LIST_BUDGET = 10


def many_tickets(cast, count: int = 12) -> list[Ticket]:
    tickets = [sep_ticket(cast) for _ in range(count)]
    for ticket in tickets[: count // 2]:
        actions.take_ticket(ticket=ticket, actor=cast.engineer)
    for ticket in tickets[: count // 4]:
        actions.close_ticket(
            ticket=ticket, actor=cast.engineer, close_reason="not_entitled", reason="No contract."
        )
    return tickets


@pytest.mark.parametrize(
    "query",
    ["", "?view=closed", "?mine=1", "?mine=1&view=closed", "team"],
    ids=["open", "closed", "mine", "mine-closed", "team"],
)
def test_workspace_queue_budget(client, cast, query):
    many_tickets(cast)
    client.force_login(cast.engineer)
    if query == "team":
        query = f"?team={cast.engineer.agent.teams.order_by('name').first().pk}"
    url = reverse("workspace:home") + query
    client.get(url)
    response, statements = counted(lambda: client.get(url))

    assert response.status_code == 200
    assert response.context["tickets"]
    within(statements, LIST_BUDGET)


@pytest.mark.parametrize("state", ["open", "closed", "all"])
@pytest.mark.parametrize("who", ["customer_alpha", "orgadmin_alpha"])
def test_portal_list_budget(client, cast, state, who):
    many_tickets(cast)
    client.force_login(getattr(cast, who))
    url = reverse("ticket_list") + f"?state={state}"
    client.get(url)
    response, statements = counted(lambda: client.get(url))

    assert response.status_code == 200
    assert response.context["tickets"]
    within(statements, LIST_BUDGET)


# --- The ticket page ------------------------------------------------------------------------


def ticket_with_events(cast, replies: int) -> Ticket:
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    for n in range(replies):
        actions.add_public_reply(ticket=ticket, actor=cast.engineer, body=f"Answer {n}")
        actions.add_customer_reply(ticket=ticket, actor=cast.customer_alpha, body=f"Reply {n}")
        actions.add_internal_note(ticket=ticket, actor=cast.engineer, body=f"Note {n}")
    return ticket


def page_statements(client, url: str) -> list[str]:
    client.get(url)
    response, statements = counted(lambda: client.get(url))
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("side", ["workspace", "portal"])
def test_ticket_page_budget_does_not_grow_with_the_timeline(client, cast, side):
    short, long = ticket_with_events(cast, 1), ticket_with_events(cast, 16)
    assert long.events.count() >= 50
    user = cast.engineer if side == "workspace" else cast.customer_alpha
    name = "workspace:ticket" if side == "workspace" else "ticket_detail"
    client.force_login(user)

    few = page_statements(client, reverse(name, args=[short.number]))
    many = page_statements(client, reverse(name, args=[long.number]))

    assert len(many) == len(few), "\n".join(many)
    within(many, TICKET_PAGE_BUDGET[side])


# The workspace page also shows the customer's context (the organization's open and recent
# requests, the contact's other requests, the contracts: 4 statements) and the canned replies (1);
# the portal page carries the work-method form (its methods: one query).
TICKET_PAGE_BUDGET = {"workspace": 21, "portal": 17}
