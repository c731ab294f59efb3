"""No page or endpoint leaks another organization's ticket, attachment, contact or contract.

Every URL pattern of the project is enumerated (``django.urls.get_resolver()``, the API's
operations included), its parameters are filled with organization alpha's objects, and it is
requested as each outsider: another organization's customers, alpha's colleague who is not the
ticket's contact, an engineer outside the ticket's team, and an anonymous visitor. Each answer
must be a refusal that carries none of alpha's data, and nothing may change in the database.

A new route is covered automatically when its parameters are known (``PARAMETERS`` in
routes.py); a route with an unknown parameter fails ``test_every_route_is_covered`` until a filler
or an allow-list entry (``ALLOW_LIST``, with a reason) is added. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import resolve, reverse

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import WorkMethod
from supportdesk.tests_security.conftest import (
    INTERNAL_FILE,
    INTERNAL_MARKER,
    PUBLIC_REPLY,
    SUBJECT,
    AlphaWorld,
    client_for,
    png_file,
    snapshot,
)
from supportdesk.tests_security.routes import PARAMETER, Route, classify
from supportdesk.tickets.models import Attachment, TicketState


def test_every_route_is_covered():
    _, _, uncovered = classify()
    assert not uncovered, (
        "Routes neither covered by the isolation matrix nor allow-listed; add a filler to "
        "PARAMETERS / ROUTE_PARAMETERS or a reviewed ALLOW_LIST entry in "
        "supportdesk/tests_security/routes.py:\n"
        + "\n".join(f"  /{route.route} ({route.name}): {why}" for route, why in uncovered)
    )


def test_the_matrix_knows_the_ticket_routes():
    """A guard against a walker that silently finds nothing."""
    objects, lists, _ = classify()
    assert {
        "tickets/<str:number>/",
        "attachments/<int:pk>/",
        "workspace/tickets/<str:number>/",
        "api/v1/tickets/<number>",
        "api/v1/attachments/<attachment_id>",
        "api/v1/tickets/<number>/priority-proposals/<proposal_id>/accept",
    } <= {route.route for route in objects}
    assert {"tickets/", "workspace/", "api/v1/tickets", "api/v1/contracts"} <= {
        route.route for route in lists
    }


# --- Who asks, what they must not see -----------------------------------------------------------

OUTSIDERS = ["customer_beta", "customer_gamma", "colleague_alpha", "engineer_en", None]


def forbidden_markers(world: AlphaWorld, who: str | None) -> dict[str, str]:
    """What ``who`` must never read. Alpha's colleague may read alpha's contracts; an agent
    outside the ticket's team may read customers and contracts, but not this ticket."""
    markers = dict(world.ticket_markers)
    if who == "colleague_alpha":
        organization = world.organization_markers
        organization.pop("Support ID")
        markers.update(organization)
    elif who != "engineer_en":
        markers.update(world.organization_markers)
    return markers


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + content.decode("utf-8", errors="replace")


def plausible_form(world: AlphaWorld, cast) -> dict:
    """Every field any action form reads, valid for alpha's ticket: a view that forgot its
    access check would act on it."""
    method = WorkMethod.objects.filter(regulation_id=world.ticket.regulation_id).first()
    return {
        "body": "Outsider text",
        "comment": "Outsider comment",
        "reason": "significant_delay",  # an escalation reason is also a valid free-text reason
        "text": "Outsider details",
        "priority": "p1",
        "priority_reason": "Outsider priority reason",
        "proposal": str(world.proposal.pk),
        "provided_items": [str(i.pk) for i in world.diagnostics_request.items.all()],
        "method": method.code if method else "",
        "note": "Outsider note",
        "assignee": str(cast.engineer_en.agent.pk),
        "subject": "Outsider subject",
        "description": "Outsider description",
        "target": world.beta_ticket.number,
        "items": ["logs"],
        "message": "Outsider message",
        "close_reason": "not_entitled",
        "internal": "true",
        "files": [png_file("outsider.png")],
    }


def plausible_json(world: AlphaWorld, cast) -> dict:
    form = plausible_form(world, cast)
    form.pop("files")
    return {
        **form,
        "assignee": cast.engineer_en.email,
        "items": [{"kind": "logs", "text": ""}],
        "provided_items": [i.pk for i in world.diagnostics_request.items.all()],
        "internal": True,
    }


# A refusal: the statuses that say nothing about the object. 400 and 422 come from input checks
# made before the access check; they are accepted only when a ghost (a number or id that does not
# exist) gets the same answer, so the status cannot tell that alpha's object exists.
REFUSALS = {400, 403, 404, 405, 422}
GHOSTS = {"number": "SD-2026-999999"}
GHOST_ID = 999999


def ghost_url(route: Route, url: str, world: AlphaWorld) -> str:
    for param in route.params:
        filler = route.filler(param)
        assert filler is not None, f"no filler for {param}"  # see test_every_route_is_covered
        for value in filler(world):
            url = re.sub(
                rf"(?<=/){re.escape(str(value))}(?=/|$)", GHOSTS.get(param, str(GHOST_ID)), url
            )
    return url


def refusal_problem(response, ghost, who: str | None) -> str | None:
    status = response.status_code
    where = f" → {response['Location']}" if status in (301, 302) else ""
    if who is None and status == 302 and response["Location"].startswith(reverse("account_login")):
        return None
    if status not in REFUSALS and not (who is None and status == 401):
        return f"status {status}{where} instead of a refusal"
    if status != ghost.status_code:
        return f"status {status}, but {ghost.status_code} for an object that does not exist"
    return None


# Query strings that probe the side paths of list pages: filters, search, pagination, the
# dispatcher's lookup and "registered" banner, a contract chosen by id.
def side_path_queries(world: AlphaWorld) -> list[str]:
    number = world.ticket.number
    return [
        "",
        "?state=all",
        "?state=closed",
        f"?state={TicketState.WAITING_FOR_CUSTOMER}&limit=200",
        f"?q={number}&search={number}",
        f"?q={world.ticket.contract.support_id}",
        f"?q={world.ticket.contact.support_contact_id}",
        f"?registered={number}",
        f"?org={world.ticket.organization_id}&organization={world.ticket.organization_id}",
        f"?contract={world.ticket.contract_id}",
    ]


def requests_for(route: Route, world: AlphaWorld, cast) -> Iterator[tuple[str, str, dict]]:
    """(method, url, client kwargs) for each request the matrix makes on ``route``."""
    if not route.params:
        for query in side_path_queries(world):
            yield "GET", "/" + route.route + query, {}
        return
    if route.params == ("number",):
        # The outsider's own tickets (beta's, alpha's colleague's): their pages may have
        # "other tickets", "similar tickets" or merge-target sidebars.
        for own in (world.beta_ticket, world.colleague_ticket):
            yield "OWN", PARAMETER.sub(own.number, "/" + route.route), {}
    for url in route.urls(world):
        yield "GET", url, {}
        yield "POST", url, {"data": plausible_form(world, cast)}
        yield "POST", url, {"data": plausible_json(world, cast), "content_type": "application/json"}


@pytest.mark.parametrize("who", OUTSIDERS, ids=lambda who: who or "anonymous")
def test_outsiders_get_nothing(world, cast, who):
    objects, lists, _ = classify()
    client, api_headers, _user = client_for(cast, who)
    markers = forbidden_markers(world, who)
    problems = []
    # One snapshot after each request, compared with the one before it (a change is reported,
    # then taken as the new state); the ghost requests are checked the same way.
    before = snapshot(world.ticket)
    for route in [*objects, *lists]:
        for method, url, kwargs in requests_for(route, world, cast):
            headers = api_headers if route.is_api else {}
            if method in ("GET", "OWN"):
                response = client.get(url, **headers)
            else:
                response = client.post(url, **kwargs, **headers)
            label = f"{method} {url}" + (" (json)" if "content_type" in kwargs else "")
            text = body_of(response)
            # A page may echo the query it was asked; the other markers must still be absent.
            leaked = [name for name, value in markers.items() if value in text and value not in url]
            if leaked:
                problems.append(f"{label}: leaks {', '.join(leaked)}")
            if response.status_code >= 500:
                problems.append(f"{label}: server error {response.status_code}")
            after = snapshot(world.ticket)
            if after != before:
                problems.append(f"{label}: changed the database")
                before = after
            if route.params and method != "OWN":
                ghost = ghost_url(route, url, world)
                if "content_type" not in kwargs:
                    for upload in kwargs.get("data", {}).get("files", []):
                        upload.seek(0)
                if method == "GET":
                    ghost_response = client.get(ghost, **headers)
                else:
                    ghost_response = client.post(ghost, **kwargs, **headers)
                problem = refusal_problem(response, ghost_response, who)
                if problem:
                    problems.append(f"{label}: {problem}")
                after = snapshot(world.ticket)
                if after != before:
                    problems.append(f"{label}: its ghost {ghost} changed the database")
                    before = after
    assert not problems, f"As {who or 'anonymous'}:\n" + "\n".join(problems)


def test_the_matrix_reaches_the_objects(world, cast):
    """The fillers name real objects: the people who may see them do."""
    number = world.ticket.number
    client, headers, _ = client_for(cast, "customer_alpha")
    page = client.get(f"/tickets/{number}/")
    assert page.status_code == 200
    assert SUBJECT in page.text and PUBLIC_REPLY in page.text
    assert client.get(f"/attachments/{world.public_attachment.pk}/").status_code == 200
    api = client.get(f"/api/v1/attachments/{world.public_attachment.pk}", **headers)
    assert api.status_code == 200
    manager, manager_headers, _ = client_for(cast, "manager")
    page = manager.get(f"/workspace/tickets/{number}/")
    assert page.status_code == 200 and INTERNAL_MARKER in page.text
    api = manager.get(f"/api/v1/attachments/{world.internal_attachment.pk}", **manager_headers)
    assert api.status_code == 200
    for route in classify()[0]:
        for url in route.urls(world):
            resolve(url)  # raises Resolver404 when a filler produced an impossible URL


# --- Internal notes ------------------------------------------------------------------------------

NOTE_AUTHORS = ["engineer", "dispatcher", "manager", "administrator"]
CUSTOMERS = ["customer_alpha", "orgadmin_alpha"]


def customer_views(world: AlphaWorld) -> list[str]:
    number = world.ticket.number
    return [
        f"/tickets/{number}/",
        "/tickets/?state=all",
        "/tickets/",
        f"/api/v1/tickets/{number}",
        "/api/v1/tickets",
        f"/api/v1/tickets?state={world.ticket.state}",
    ]


@pytest.mark.parametrize("author", NOTE_AUTHORS)
def test_internal_note_never_reaches_the_customer(world, cast, author):
    marker = f"INTERNAL-{author.upper()}-c0de"
    agent, agent_headers, _ = client_for(cast, author)
    number = world.ticket.number
    response = agent.post(
        f"/api/v1/tickets/{number}/notes",
        {"body": marker},
        content_type="application/json",
        **agent_headers,
    )
    assert response.status_code == 200, response.content
    response = agent.post(
        f"/api/v1/tickets/{number}/attachments",
        {"files": [png_file(f"{marker}.png")], "body": marker, "internal": "true"},
        **agent_headers,
    )
    assert response.status_code == 201, response.content
    note_file = Attachment.objects.get(original_name=f"{marker}.png")
    assert note_file.event is not None and note_file.event.is_internal
    # The agent's own ticket page shows it: the marker is findable.
    page = agent.get(f"/workspace/tickets/{number}/")
    assert page.status_code == 200 and marker in page.text

    for who in CUSTOMERS:
        client, headers, _ = client_for(cast, who)
        for url in customer_views(world):
            response = client.get(url, **(headers if url.startswith("/api/") else {}))
            assert response.status_code == 200, (who, url)
            text = body_of(response)
            assert marker not in text, (who, url)
            assert INTERNAL_MARKER not in text, (who, url)
            assert INTERNAL_FILE not in text, (who, url)
        for attachment in (note_file, world.internal_attachment):
            assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
            assert client.get(f"/api/v1/attachments/{attachment.pk}", **headers).status_code == 404
    for message in OutboxMessage.objects.all():
        mail = f"{message.subject}\n{message.body_text}\n{message.body_html}"
        assert marker not in mail and INTERNAL_MARKER not in mail, message.template


def test_customer_mail_of_every_action_carries_no_internal_note(world, cast):
    """Drive the ticket through the customer-facing actions after the internal note; no e-mail
    (to anybody) ever quotes it."""
    ivan, ivan_headers, _ = client_for(cast, "customer_alpha")
    engineer, engineer_headers, _ = client_for(cast, "engineer")
    number = world.ticket.number

    def api(client, headers, path, payload):
        response = client.post(
            f"/api/v1/tickets/{number}/{path}", payload, content_type="application/json", **headers
        )
        assert response.status_code in (200, 201), (path, response.content)

    api(ivan, ivan_headers, "replies", {"body": "Logs attached."})
    api(engineer, engineer_headers, f"priority-proposals/{world.proposal.pk}/accept", {})
    api(engineer, engineer_headers, "replies", {"body": "Looking."})
    api(engineer, engineer_headers, "solution", {"body": "Update the definitions."})
    api(ivan, ivan_headers, "refuse", {"reason": "Still failing."})
    api(engineer, engineer_headers, "solution", {"body": "Reinstall the client."})
    api(ivan, ivan_headers, "confirm", {"comment": "Works."})
    assert OutboxMessage.objects.filter(ticket=world.ticket).count() >= 6
    ivan_email = cast.customer_alpha.email
    for message in OutboxMessage.objects.all():
        mail = f"{message.subject}\n{message.body_text}\n{message.body_html}"
        assert INTERNAL_MARKER not in mail and INTERNAL_FILE not in mail, message.template
        if ivan_email in message.recipients:
            # Agents' e-mail addresses never reach customers through notifications.
            assert "@support.example" not in mail, message.template
    page = ivan.get(f"/tickets/{number}/").text
    assert "@support.example" not in page


def test_engineer_outside_the_team_cannot_see_the_ticket(world, cast):
    """Engineers see their teams' queues and the tickets they own; engineer_en is in the English
    team only, the ticket in the Russian one."""
    assert world.ticket.team == cast.team_ru
    client, headers, _ = client_for(cast, "engineer_en")
    number = world.ticket.number
    assert client.get(f"/workspace/tickets/{number}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{number}", **headers).status_code == 404
    for attachment in (world.public_attachment, world.internal_attachment):
        assert client.get(f"/api/v1/attachments/{attachment.pk}", **headers).status_code == 404
        assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert number not in client.get("/workspace/").text
    assert number not in client.get("/api/v1/tickets?limit=200", **headers).text
    # The engineer of the Russian team sees it, internal note included.
    client, headers, _ = client_for(cast, "engineer")
    detail = client.get(f"/api/v1/tickets/{number}", **headers).json()
    assert INTERNAL_MARKER in [event["body"] for event in detail["timeline"]]
