"""Search: what agents and customers find (page and API), on SQLite (FTS5) and PostgreSQL
(tsvector + pg_trgm); the document follows each change in its transaction; snippets escaped."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from supportdesk.api.services import create_api_token
from supportdesk.sla.tests.helpers import msk, ngfw_ticket, sep_ticket
from supportdesk.tickets import search
from supportdesk.tickets.actions.messages import add_internal_note, add_public_reply
from supportdesk.tickets.actions.ownership import take_ticket
from supportdesk.tickets.models import Ticket, TicketSearch

NOW = msk(2026, 11, 23, 12)
HOME = reverse("workspace:home")
PORTAL = reverse("ticket_list")
API = "/api/v1/tickets"
NOTE = "Внутренняя заметка: клиент задолжал за продление, эскалировать руководителю"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tickets(cast) -> dict[str, Ticket]:
    """Alpha's Russian ticket with an internal note and a reply, Beta's English one."""
    alpha = sep_ticket(
        cast,
        now=NOW - dt.timedelta(hours=3),
        subject="Не обновляются антивирусные базы",
        description="Клиенты не получают определения вирусов после перезагрузки сервера.",
    )
    take_ticket(ticket=alpha, actor=cast.engineer, now=NOW - dt.timedelta(hours=2))
    add_internal_note(ticket=alpha, actor=cast.engineer, body=NOTE, now=NOW - dt.timedelta(hours=1))
    add_public_reply(
        ticket=alpha,
        actor=cast.engineer,
        body="Проверьте журнал LiveUpdate на сервере управления.",
        now=NOW - dt.timedelta(minutes=30),
    )
    beta = ngfw_ticket(
        cast,
        now=NOW - dt.timedelta(hours=2),
        subject="VPN tunnels drop",
        description="The site-to-site VPN tunnels drop every hour since the upgrade.",
    )
    return {"alpha": alpha, "beta": beta}


def found(user, text: str, **kwargs) -> list[str]:
    return [hit.ticket.number for hit in search.search(user, text, **kwargs)]


def api(client, user, **params) -> list[str]:
    _, token = create_api_token(user=user, name="search")
    response = client.get(API, params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_agent_finds_by_a_word_of_the_description_in_another_form(cast, tickets):
    alpha, beta = tickets["alpha"], tickets["beta"]

    # Russian: "определений" (genitive plural) finds "определения"; English: "dropping" finds
    # "drop".
    assert found(cast.engineer, "определений") == [alpha.number]
    assert found(cast.manager, "tunnel") == [beta.number]
    assert found(cast.manager, "перезагрузка сервера") == [alpha.number]


def test_agent_finds_by_part_of_the_number_and_by_keys(cast, tickets):
    alpha, beta = tickets["alpha"], tickets["beta"]
    tail = alpha.number.rsplit("-", 1)[1]

    assert found(cast.manager, alpha.number) == [alpha.number]
    assert alpha.number in found(cast.manager, tail[-4:])
    assert found(cast.manager, "SC-1001") == [alpha.number]  # the contact's Support ID
    assert found(cast.manager, "UGNGFW-7A1C") == [beta.number]  # the license key
    assert found(cast.manager, "ivan@alpha") == [alpha.number]  # the contact's e-mail
    assert found(cast.manager, beta.organization.name) == [beta.number]


def test_agents_find_replies_and_internal_notes(cast, tickets):
    alpha = tickets["alpha"]

    assert found(cast.engineer, "LiveUpdate") == [alpha.number]
    hits = search.search(cast.engineer, "задолжал")
    assert [hit.ticket.number for hit in hits] == [alpha.number]
    assert hits[0].source == "note" and "<mark>задолжал</mark>" in hits[0].snippet


def test_a_customer_never_finds_internal_notes_or_another_organization(client, cast, tickets):
    alpha = tickets["alpha"]

    for who in ("customer_alpha", "orgadmin_alpha"):
        user = getattr(cast, who)
        assert found(user, "задолжал") == []
        assert found(user, "VPN tunnels") == []
        assert found(user, "UGNGFW") == []
        assert found(user, "определений") == [alpha.number]
        assert found(user, "LiveUpdate") == [alpha.number]
        assert api(client, user, q="задолжал") == []
        assert api(client, user, q="tunnels") == []
        assert api(client, user, q="LiveUpdate") == [alpha.number]
        client.force_login(user)
        response = client.get(PORTAL, {"q": "задолжал"})
        assert response.context["tickets"] == [] and NOTE not in response.content.decode()
        html = client.get(PORTAL, {"q": "сервер"}).content.decode()
        assert alpha.number in html and "задолжал" not in html
    # Beta's customer sees Beta's ticket and nothing of Alpha's.
    assert found(cast.customer_beta, "tunnels") == [tickets["beta"].number]
    assert found(cast.customer_beta, alpha.number) == []
    assert api(client, cast.customer_beta, q="сервер") == []


def test_the_document_follows_each_change_in_its_transaction(cast, tickets):
    beta = tickets["beta"]
    assert found(cast.manager, "firmware") == []

    add_internal_note(ticket=beta, actor=cast.manager, body="Suspect the firmware 7.1 rollback")

    assert found(cast.manager, "firmware") == [beta.number]
    assert found(cast.customer_beta, "firmware") == []


def test_snippets_are_escaped_and_highlighted(client, cast):
    ticket = sep_ticket(
        cast,
        now=NOW - dt.timedelta(hours=1),
        description='Ошибка <script>alert("x")</script> при установке агента',
    )
    client.force_login(cast.engineer)

    html = client.get(HOME, {"q": "установка"}).content.decode()

    assert ticket.number in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<mark>установке</mark>" in html


def test_search_in_the_queue_combines_with_filters_and_finds_closed_tickets(
    client, cast, tickets, django_assert_max_num_queries
):
    alpha, beta = tickets["alpha"], tickets["beta"]
    client.force_login(cast.manager)

    with django_assert_max_num_queries(12):
        response = client.get(HOME, {"q": "сервера перезагрузки"})
    by_org = client.get(HOME, {"q": "hour", "organization": alpha.organization_id})
    in_state = client.get(HOME, {"q": "tunnels", "state": "registered"})
    closed_only = client.get(HOME, {"q": "tunnels", "view": "closed"})

    assert [t.number for t in response.context["tickets"]] == [alpha.number]
    assert by_org.context["tickets"] == []
    assert [t.number for t in in_state.context["tickets"]] == [beta.number]
    assert closed_only.context["tickets"] == []
    assert response.context["filters"] == {"q": "сервера перезагрузки"}


def test_bad_queries_are_harmless(client, cast, tickets):
    client.force_login(cast.manager)

    for text in ['"', "*", "AND", "a" * 500, "NEAR(", "{public}:x", "-", "'; DROP TABLE x;--"]:
        assert client.get(HOME, {"q": text}).status_code == 200
        assert client.get(PORTAL, {"q": text}).status_code in (200, 403)
    assert search.search(cast.manager, "   ") == []


def test_rebuilding_every_document_gives_the_same_documents(cast, tickets):
    before = dict(TicketSearch.objects.values_list("ticket_id", "keys"))
    TicketSearch.objects.all().delete()

    call_command("reindex_search", stdout=StringIO())

    assert dict(TicketSearch.objects.values_list("ticket_id", "keys")) == before
    assert found(cast.engineer, "задолжал") == [tickets["alpha"].number]
    assert found(cast.customer_alpha, "задолжал") == []
    assert found(cast.manager, "tunnel") == [tickets["beta"].number]
