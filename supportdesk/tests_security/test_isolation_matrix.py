"""No page or endpoint leaks another organization's ticket, attachment, contact or contract.

Every URL pattern of the project is enumerated (``django.urls.get_resolver()``, the API's
operations included), its parameters are filled with organization alpha's objects, and it is
requested as each outsider: another organization's customers, alpha's colleague who is not the
ticket's contact, an engineer outside the ticket's team, and an anonymous visitor. Each answer
must be a refusal that carries none of alpha's data, and nothing may change in the database.

A new route is covered automatically when its parameters are known (``PARAMETERS``); a route
with an unknown parameter fails ``test_every_route_is_covered`` until a filler or an allow-list
entry (``ALLOW_LIST``, with a reason) is added. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from supportdesk.accounts.models import User
from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import WorkMethod
from supportdesk.tests_security.conftest import (
    INTERNAL_FILE,
    INTERNAL_MARKER,
    NOW,
    PUBLIC_REPLY,
    SUBJECT,
    AlphaWorld,
    bearer,
    png_file,
    snapshot,
)
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent, TicketState

# --- The routes ----------------------------------------------------------------------------------

# Routes that are not requested by the matrix, by prefix of the route, each with the reason.
# Review every addition: an entry here is a route nobody checks for leaks.
ALLOW_LIST = {
    "admin/": "Django admin: staff only; test_admin_requires_staff checks every registered model",
    "accounts/": "allauth: login, sign-up, password and e-mail pages of the user's own account",
    "i18n/": "Django's set_language: no data",
    "api/v1/openapi.json": "the API's schema: no data",
    "api/v1/docs": "the API's documentation page: no data",
    "language/": "the portal's language switch: changes only the user's own language",
    "kb/": "the knowledge base: articles belong to no organization; who sees drafts and "
    "customers-only articles is tested in supportdesk/kb/tests",
    "rate/": "the closure e-mail's rating link: the signed single-use token is the capability; "
    "supportdesk/feedback/tests check forged, expired, reused and other tickets' tokens",
}

# How each URL parameter is filled with alpha's objects; a list requests every value.
PARAMETERS: dict[str, Callable[[AlphaWorld], list]] = {
    "number": lambda w: [w.ticket.number],
    "attachment_id": lambda w: [w.public_attachment.pk, w.internal_attachment.pk],
    "proposal_id": lambda w: [w.proposal.pk],
    "contract_id": lambda w: [w.ticket.contract_id],
    "contact_id": lambda w: [w.ticket.contact_id],
    "organization_id": lambda w: [w.ticket.organization_id],
    "event_id": lambda w: [w.internal_attachment.event_id],
    "request_id": lambda w: [w.diagnostics_request.pk],
    "token_id": lambda w: [w.ivan_token.pk],
}
# Ambiguous names (``pk``, ``id``) are filled per route name only.
ROUTE_PARAMETERS: dict[tuple[str, str], Callable[[AlphaWorld], list]] = {
    ("attachment", "pk"): PARAMETERS["attachment_id"],
}

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    route: str  # "workspace/tickets/<str:number>/"
    name: str  # "workspace:ticket"
    params: tuple[str, ...]
    buildable: bool  # False when a regular expression with groups is part of the route

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def allow_listed(self) -> str | None:
        for prefix, reason in ALLOW_LIST.items():
            if self.route.startswith(prefix):
                return reason
        return None

    def filler(self, param: str) -> Callable[[AlphaWorld], list] | None:
        return ROUTE_PARAMETERS.get((self.name.rpartition(":")[2], param)) or (
            PARAMETERS.get(param) if param not in ("pk", "id") else None
        )

    def urls(self, world: AlphaWorld) -> list[str]:
        urls = ["/" + self.route]
        for param in self.params:
            filler = self.filler(param)
            assert filler is not None, f"no filler for {param}"  # see test_every_route_is_covered
            values = filler(world)
            pattern = re.compile(rf"<(?:\w+:)?{param}>")
            urls = [pattern.sub(str(value), url) for url in urls for value in values]
        return urls


def _walk(patterns, prefix: str = "", namespace: str = "", params=(), buildable=True):
    for pattern in patterns:
        piece = str(pattern.pattern)
        groups = tuple(pattern.pattern.regex.groupindex)
        is_regex = not hasattr(pattern.pattern, "converters")
        if is_regex:
            piece = piece.lstrip("^").rstrip("$").replace("\\", "")
        piece_buildable = buildable and not (is_regex and groups)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _walk(
                pattern.url_patterns, prefix + piece, inner, params + groups, piece_buildable
            )
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name or ""]))
            yield Route(prefix + piece, name, params + groups, piece_buildable)


def all_routes() -> list[Route]:
    """Every URL pattern of the project, once per route string."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault(route.route, route)
    return list(seen.values())


def classify() -> tuple[list[Route], list[Route], list[tuple[Route, str]]]:
    """(routes with object parameters, routes without, uncovered routes with the reason)."""
    objects, lists, uncovered = [], [], []
    for route in all_routes():
        if route.allow_listed():
            continue
        if not route.buildable:
            uncovered.append((route, "regular expression with groups"))
            continue
        unknown = [p for p in route.params if route.filler(p) is None]
        if unknown:
            uncovered.append((route, f"unknown parameter(s) {', '.join(unknown)}"))
        elif route.params:
            objects.append(route)
        else:
            lists.append(route)
    return objects, lists, uncovered


def test_every_route_is_covered():
    _, _, uncovered = classify()
    assert not uncovered, (
        "Routes neither covered by the isolation matrix nor allow-listed; add a filler to "
        "PARAMETERS / ROUTE_PARAMETERS or a reviewed ALLOW_LIST entry in "
        "supportdesk/tests_security/test_isolation_matrix.py:\n"
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


def client_for(cast, who: str | None) -> tuple[Client, dict, User | None]:
    client = Client()
    if who is None:
        return client, {}, None
    user = getattr(cast, who)
    client.force_login(user)
    return client, bearer(user), user


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
    for route in [*objects, *lists]:
        for method, url, kwargs in requests_for(route, world, cast):
            before = snapshot(world.ticket)
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
            if snapshot(world.ticket) != before:
                problems.append(f"{label}: changed the database")
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


# --- Customer-reserved fields (mass assignment) -------------------------------------------------

RESERVED = {
    "owner": "",
    "owner_id": "",
    "team": "",
    "team_id": "",
    "state": TicketState.CLOSED,
    "close_reason": "confirmed",
    "escalation_level": "3",
    "reaction_due_at": "2020-01-01T00:00:00Z",
    "resolution_due_at": "2020-01-01T00:00:00Z",
    "due_at": "2020-01-01T00:00:00Z",
    "registered_at": "2020-01-01T00:00:00Z",
    "number": "SD-1999-999999",
    "is_internal": "true",
    "internal": "true",
    "channel": "phone",
    "level": "premium",
    "regulation": "002",
    "links": "SD-2026-000001",
    "split_from": "SD-2026-000001",
    "merged_into": "SD-2026-000001",
}


def reserved_fields(cast) -> dict:
    return {
        **RESERVED,
        "owner": str(cast.engineer.agent.pk),
        "owner_id": str(cast.engineer.agent.pk),
        "team": str(cast.team_en.pk),
        "team_id": str(cast.team_en.pk),
        "organization": str(cast.beta.pk),
        "organization_id": str(cast.beta.pk),
        "contact": str(cast.customer_beta.contact.pk),
        "contact_id": str(cast.customer_beta.contact.pk),
        "contract_id": str(cast.contract_beta.pk),
    }


def assert_nothing_reserved_taken(ticket: Ticket, cast) -> None:
    assert ticket.organization == cast.alpha
    assert ticket.contact == cast.customer_alpha.contact
    assert ticket.contract == cast.contract_alpha
    assert ticket.owner is None
    assert ticket.team == cast.team_ru  # routed by the regulation, not chosen
    assert ticket.state == TicketState.REGISTERED
    assert (ticket.close_reason, ticket.escalation_level, ticket.closed_at) == ("", 0, None)
    assert ticket.registered_at == NOW
    assert ticket.number.startswith("SD-2026-")
    assert ticket.level.code == "essential" and ticket.regulation.code == "000"
    assert (ticket.split_from, ticket.merged_into, ticket.work_method) == (None, None, None)
    assert not ticket.events.filter(is_internal=True).exists()


SEP_FORM = {
    "support_contact_id": "SC-1001",
    "version": "14.3 RU9",
    "os_version": "Windows Server 2022",
    "service_pack": "KB5034439",
    "subject": "Mass assignment probe",
    "description": "Clients show old definitions.",
}


def test_portal_registration_takes_no_reserved_field(cast, frozen):
    client, _, _ = client_for(cast, "customer_alpha")
    data = {
        **reserved_fields(cast),
        **SEP_FORM,
        "contract": str(cast.contract_alpha.pk),
        "product": str(cast.product_sep.pk),
        "support_id": cast.contract_alpha.support_id,
    }
    # Another organization's contract is not a choice.
    response = client.post("/tickets/new/", {**data, "contract": str(cast.contract_beta.pk)})
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert cast.contract_beta.support_id not in response.text

    response = client.post("/tickets/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert_nothing_reserved_taken(ticket, cast)
    assert ticket.channel == "portal"


def test_api_registration_takes_no_reserved_field(cast, frozen):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {
        **reserved_fields(cast),
        **SEP_FORM,
        "product": cast.product_sep.code,
        "escalation_level": 3,
        "is_internal": True,
    }
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert_nothing_reserved_taken(ticket, cast)
    assert ticket.channel == "api"


@pytest.mark.parametrize(
    "identifier",
    [
        {"support_id": "UG-2025-0042"},
        {"license_key": "UGNGFW-7A1C-92F0-4D1B"},
        {"support_contact_id": "SC-2001"},
    ],
    ids=["support_id", "license_key", "support_contact_id"],
)
def test_api_registration_under_another_organization_is_refused(cast, frozen, identifier):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {**SEP_FORM, "support_contact_id": "", "product": "usergate-ngfw", **identifier}
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 422, response.content
    assert not Ticket.objects.exists()
    # The refusal names nothing of the other organization beyond what the caller typed.
    assert "olga@beta.example" not in response.text and "Бета" not in response.text


def test_registration_priority_outside_the_regulation_is_refused(cast, frozen):
    client, headers, _ = client_for(cast, "customer_alpha")
    payload = {**SEP_FORM, "product": cast.product_sep.code, "priority": "p0"}
    response = client.post("/api/v1/tickets", payload, content_type="application/json", **headers)
    assert response.status_code == 422
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("priority-override", {"priority": "p1", "reason": "Now."}),
        ("assign", {"assignee": "engineer_en@", "reason": "Mine."}),
        ("take", {}),
        ("close", {"close_reason": "no_response", "reason": "Done."}),
        ("reopen", {"reason": "Again."}),
        ("notes", {"body": "A customer's internal note"}),
        ("split", {"description": "Second problem"}),
    ],
)
def test_customer_cannot_use_agent_actions(world, cast, path, payload):
    client, headers, _ = client_for(cast, "customer_alpha")
    if path == "assign":
        payload = {**payload, "assignee": cast.engineer_en.email}
    before = snapshot(world.ticket)
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/{path}",
        payload,
        content_type="application/json",
        **headers,
    )
    assert response.status_code in (403, 409), response.content
    assert snapshot(world.ticket) == before


def test_customer_upload_cannot_be_internal(world, cast):
    client, headers, _ = client_for(cast, "customer_alpha")
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/attachments",
        {"files": [png_file("customer.png")], "body": "Logs", "internal": "true"},
        **headers,
    )
    assert response.status_code == 201, response.content
    event = TicketEvent.objects.filter(ticket=world.ticket, attachments__isnull=False).latest("id")
    assert (event.kind, event.is_internal) == (TicketEvent.Kind.CUSTOMER_REPLY, False)
    assert not TicketEvent.objects.filter(ticket=world.ticket, actor=cast.customer_alpha).filter(
        is_internal=True
    )


def test_phone_request_refuses_a_contact_of_another_organization(world, cast):
    """The dispatcher's form for beta cannot register a request for alpha's ivan."""
    client, _, _ = client_for(cast, "dispatcher")
    before = Ticket.objects.count()
    response = client.post(
        f"/workspace/dispatch/?org={cast.beta.pk}",
        {
            "organization": str(cast.beta.pk),
            "contact": str(cast.customer_alpha.contact.pk),
            "license_key": cast.license_key_beta.key,
            "version": "7.2",
            "description": "Phone probe",
        },
    )
    assert response.status_code == 200
    assert Ticket.objects.count() == before
    response = client.post(
        f"/workspace/dispatch/?org={cast.alpha.pk}",
        {
            "organization": str(cast.beta.pk),
            "contact": str(cast.customer_beta.contact.pk),
            "license_key": cast.license_key_beta.key,
            "version": "7.2",
            "description": "Phone probe",
        },
    )
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_merge_into_another_organization_is_refused(world, cast, who):
    """Even an agent who sees both tickets cannot link alpha's ticket to beta's."""
    client, headers, _ = client_for(cast, who)
    before = snapshot(world.ticket)
    response = client.post(
        f"/api/v1/tickets/{world.ticket.number}/merge",
        {"target": world.beta_ticket.number, "reason": "Same problem?"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 404, response.content
    assert world.ticket.number not in response.text
    assert snapshot(world.ticket) == before


# --- Admin ---------------------------------------------------------------------------------------


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse("admin:app_list", args=[meta.app_label]))
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        for name in ("change", "delete", "history"):
            urls.append(reverse(f"{prefix}_{name}", args=[1]))
    return sorted(set(urls))


@pytest.mark.parametrize("who", ["customer_alpha", "orgadmin_alpha", "engineer", "manager", None])
def test_admin_requires_staff(world, cast, who):
    client, _, _ = client_for(cast, who)
    login = reverse("admin:login")
    problems = []
    for url in admin_urls():
        response = client.get(url)
        if response.status_code != 302 or not response["Location"].startswith(login):
            problems.append(f"{url}: {response.status_code}")
    assert not problems, "\n".join(problems)
