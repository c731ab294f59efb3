"""No route answers a server error, whatever an attacker puts in its path, query string or body.

Every URL pattern of the project (the walker of the isolation matrix: ``get_resolver()``, the
API's operations included) is requested by a user who may use it, with each hostile value
(``HOSTILE``) in every path parameter, in every query parameter a view reads, and in every field
of every form and API schema, as a form post and as JSON. The answer may be anything but a 5xx.

The lists of query parameters and fields are checked against the code: a view that reads a new
query parameter, or a new field of a form or an input schema, fails
``test_every_query_parameter_is_covered`` / ``test_every_field_is_covered`` until it is added
here. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.test import Client
from ninja import Schema

from supportdesk.api import schemas
from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import HotlineNumber, WorkMethod
from supportdesk.tests_security.conftest import AlphaWorld, bearer, png_file
from supportdesk.tests_security.routes import PARAMETER, Route, all_routes
from supportdesk.tests_security.test_reserved_fields import SEP_FORM

# Refused at the door (config/middleware.py, the API's SafeStr): cheap to send everywhere. In a URL
# the lone surrogate travels as the UTF-8 bytes it would have (ED A0 80), which are not valid
# UTF-8; in JSON as the escape "\ud800".
REFUSED = {"nul": "a\x00b", "surrogate": "x\ud800y"}
# Reach the views and services: ids that are not ids, text that grows when escaped, is long, is
# outside the BMP or tries to start a header.
TEXT = ("\"&<>'😀𝕏Щ" * 150)[:1200] + "\r\nBcc: victim@example.com"
REACHING = {
    "non-ASCII digits": "²١٢",
    "huge number": "9" * 30,
    "negative": "-1",
    "text": TEXT,
}
HOSTILE = {**REFUSED, **REACHING}

# Every query parameter a view reads (test_every_query_parameter_is_covered keeps this whole).
QUERY_PARAMETERS = [
    "after",
    "format",
    "month",
    "timeline",
    "contract",
    "cursor",
    "id",
    "limit",
    "mine",
    "organization",
    "org",
    "priority",
    "product",
    "q",
    "registered",
    "state",
    "team",
    "view",
    "call",
    "from",
    "license_key",
    "score",
    "subject",
]

# Free text: a request with these hostile and everything else valid reaches the services.
TEXT_FIELDS = {
    "other",
    "body",
    "comment",
    "description",
    "message",
    "note",
    "os_version",
    "priority_reason",
    "reason",
    "service_pack",
    "subject",
    "text",
    "version",
}


def valid_fields(world: AlphaWorld, cast) -> dict:
    """A valid value for every field of every form and input schema (test_every_field_is_covered
    keeps it whole): the hostile value replaces some or all of them."""
    method = WorkMethod.objects.filter(regulation_id=world.ticket.regulation_id).first()
    hotline = HotlineNumber.objects.filter(regulation_id=world.ticket.regulation_id).first()
    return {
        **SEP_FORM,
        "support_id": cast.contract_alpha.support_id,
        "license_key": "",
        "contract": str(cast.contract_alpha.pk),
        "product": str(cast.product_sep.pk),
        "priority": "p2",
        "diagnostics": [],
        "organization": str(cast.alpha.pk),
        "contact": str(cast.customer_alpha.contact.pk),
        "q": world.ticket.number,
        "name": "token",
        "body": "A reply",
        "comment": "Works",
        "reason": "significant_delay",
        "text": "Details",
        "priority_reason": "Production down",
        "proposal": str(world.proposal.pk),
        "provided_items": [str(i.pk) for i in world.diagnostics_request.items.all()],
        "method": method.code if method else "",
        "note": "A note",
        "assignee": str(cast.engineer.agent.pk),
        "target": world.colleague_ticket.number,
        "items": ["logs", "other"],
        "other": "Describe the setup",
        "month": "2026-11",
        "kind": "logs",  # of an item in the API's diagnostics request (``as_json``)
        "message": "A message",
        "close_reason": "not_entitled",
        "internal": "false",
        "idempotency_key": "",
        "language": "en",
        "next": "/",
        "email": "nobody@example.com",
        "password": "wrong password",
        "login": "nobody@example.com",
        "remember": "",
        "password1": "Secret-12345-x",
        "password2": "Secret-12345-x",
        "files": None,  # added per request: a file object is read once
        "attachments": "",  # a file field: no file
        "primary_diagnostics": [],
        # The dispatcher's calls and callbacks
        "available": "true",
        "caller_phone": "+7 495 111-22-33",
        "phone": "+7 495 111-22-33",
        "hotline": str(hotline.pk) if hotline else "",
        "ivr_branch": "",
        "number": world.ticket.number,
        "outcome": "information",
        "reached": "false",
        "result": "no_answer",
        # The quarantine page, the dashboard's period, the customer's rating
        "contact_email": "ivan@alpha.example",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "score": "5",
    }


def as_json(fields: dict, cast, value: str | None = None) -> dict:
    """The same fields as an API body (lists of objects, e-mail addresses, product codes)."""
    data = {key: val for key, val in fields.items() if key != "files"}
    if value is None:
        data.update(
            assignee=cast.engineer.email,
            product=cast.product_sep.code,
            items=[{"kind": "logs", "text": ""}],
            provided_items=[int(pk) for pk in fields["provided_items"]],
            internal=False,
        )
    else:
        data.update(items=[{"kind": value, "text": value}], provided_items=[value])
    return data


# --- Who asks -------------------------------------------------------------------------------


def users_for(route: Route) -> list[str | None]:
    if route.route.startswith("workspace/") or route.route.startswith("api-tokens"):
        return ["manager"]
    if route.is_api:
        return ["customer_alpha", "manager"]
    if route.route.startswith(("accounts/", "i18n/")):
        return [None]
    return ["customer_alpha"]


def routes() -> list[Route]:
    """Every route but the admin's (Django's own views, staff only; sampled in
    test_admin_survives_hostile_input) and the API's static documentation."""
    return [
        route
        for route in all_routes()
        if not route.route.startswith(("admin/", "api/v1/docs", "api/v1/openapi.json"))
    ]


def fill(route: Route, world: AlphaWorld) -> str:
    """The route with alpha's objects in its parameters (the route's own page works)."""
    url = "/" + route.route
    for param in route.params:
        filler = route.filler(param)
        value = filler(world)[0] if filler else "x"
        url = re.sub(rf"<(?:\w+:)?{param}>", str(value), url)
    return url.replace("^", "").replace("$", "")


def url_piece(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def hostile_paths(route: Route, value: str) -> Iterator[str]:
    for param in route.params:
        url = "/" + route.route
        for other in route.params:
            piece = url_piece(value) if other == param else "1"
            url = re.sub(rf"<(?:\w+:)?{other}>", piece, url)
        yield url


def rotations(keys: list[str], *, form: bool = False) -> Iterator[tuple[str, dict[str, str]]]:
    """One request per reaching value, each key getting a different value in each: over the
    requests every key gets every value, in few requests."""
    values = list(REACHING.values())
    for turn in range(len(values)):
        yield (
            f"rotation {turn}",
            {key: values[(index + turn) % len(values)] for index, key in enumerate(keys)},
        )
    for name, value in REFUSED.items():
        # A form is decoded with errors="replace": a lone surrogate cannot arrive in one.
        if not (form and name == "surrogate"):
            yield name, dict.fromkeys(keys, value)


def requests_for(route: Route, world: AlphaWorld, cast) -> Iterator[tuple[str, str, dict]]:
    base = valid_fields(world, cast)
    page = fill(route, world)
    for name, value in HOSTILE.items():
        for url in hostile_paths(route, value):
            yield f"{name} in path", url, {"method": "get"}
    if not route.params:  # the list pages read the query parameters
        for name, values in rotations(QUERY_PARAMETERS):
            query = urlencode(
                {key: value.encode("utf-8", "surrogatepass") for key, value in values.items()}
            )
            yield f"{name} in query", f"{page}?{query}", {"method": "get"}
    keys = [key for key in base if key != "files"]
    for name, values in rotations(keys, form=not route.is_api):
        if route.is_api:
            data = {**as_json(base, cast), **values}
            data.update(items=[{"kind": values["items"], "text": values["text"]}])
            yield (
                f"{name} in every field (JSON)",
                page,
                {"method": "post", "data": data, "content_type": "application/json"},
            )
        if (not route.is_api or route.name.endswith("upload")) and name != "surrogate":
            yield (
                f"{name} in every field",
                page,
                {"method": "post", "data": {**base, **values, "files": []}},
            )
    texts = dict.fromkeys(TEXT_FIELDS, TEXT)
    if route.is_api:
        data = {**as_json(base, cast), **texts}
        yield (
            "text fields (JSON)",
            page,
            {"method": "post", "data": data, "content_type": "application/json"},
        )
    if not route.is_api or route.name.endswith("upload"):
        data = {**base, **texts, "files": [png_file("CON.png")]}
        yield "text fields", page, {"method": "post", "data": data}


def test_hostile_input_never_gets_a_server_error(world, cast):
    clients: dict[str | None, tuple[Client, dict]] = {}
    for who in ("customer_alpha", "manager", None):
        client = Client(raise_request_exception=False)
        headers: dict = {}
        if who is not None:
            user = getattr(cast, who)
            client.force_login(user)
            headers = bearer(user)
        clients[who] = (client, headers)
    problems = []
    count = 0
    for route in routes():
        for who in users_for(route):
            client, headers = clients[who]
            for label, url, kwargs in requests_for(route, world, cast):
                kwargs = dict(kwargs)
                method = kwargs.pop("method")
                response = getattr(client, method)(url, **kwargs, **headers)
                count += 1
                if response.status_code >= 500:
                    problems.append(
                        f"{method.upper()} {url[:120]!r} as {who or 'anonymous'} with {label}: "
                        f"{response.status_code}"
                    )
    assert count > 500, count  # the walker found the routes
    assert not problems, f"{len(problems)} server errors:\n" + "\n".join(problems[:60])
    # Stored copies never overflow: every subject fits its column and is one line.
    for message in OutboxMessage.objects.all():
        assert "\n" not in message.subject and "\r" not in message.subject


def test_admin_survives_hostile_input(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.administrator)
    problems = []
    for name, value in HOSTILE.items():
        piece = url_piece(value)
        for url in (
            f"/admin/tickets/ticket/{piece}/change/",
            f"/admin/outbox/outboxmessage/{piece}/change/",
            f"/admin/regulations/regulation/{piece}/change/",
            f"/admin/tickets/ticket/?q={piece}&o={piece}&p={piece}",
            f"/admin/accounts/user/?q={piece}&is_staff__exact={piece}",
        ):
            status = client.get(url).status_code
            if status >= 500:
                problems.append(f"{url[:100]} ({name}): {status}")
    assert not problems, "\n".join(problems)


def test_nul_and_surrogates_are_refused_with_a_reason(world, cast):
    client = Client()
    client.force_login(cast.customer_alpha)
    response = client.get(f"/tickets/{world.ticket.number}%00/")
    assert response.status_code == 400
    assert "NUL" in response.text
    response = client.post("/tickets/new/", {"subject": "a\x00b", "description": "x"})
    assert response.status_code == 400 and "subject" in response.text
    headers: dict[str, Any] = bearer(cast.customer_alpha)
    response = client.get("/api/v1/tickets?priority=%00", **headers)
    assert response.status_code == 400
    assert response.json()["fields"] == ["priority"]
    for text in ("a\x00b", "x\ud800"):
        response = client.post(
            "/api/v1/tickets",
            {**SEP_FORM, "product": cast.product_sep.code, "subject": text},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 422, response.content
        assert response.json()["fields"] == ["subject"]


def test_a_cookie_with_nul_is_as_if_not_sent(world, cast):
    """A session cookie no session can have: the request goes on without a session (the login
    page, or the API with its token), never a 500 (PostgreSQL cannot look such a key up)."""
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get(f"/tickets/{world.ticket.number}/").status_code == 302
    headers: dict[str, Any] = bearer(cast.customer_alpha)
    response = client.get(f"/api/v1/tickets/{world.ticket.number}", **headers)
    assert response.status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(cast):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    unreadable: dict[str, Any] = {"wsgi.input": Unreadable()}
    client = Client()
    client.force_login(cast.customer_alpha)
    response = client.generic(
        "POST",
        "/tickets/new/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
        **unreadable,
    )
    assert response.status_code == 413
    assert str(settings.REQUEST_MAX_BYTES // 1024 // 1024) in response.text  # the limit, in MB
    # Without a session or a token the limit is that of a login form.
    anonymous = Client().generic(
        "POST",
        "/accounts/login/",
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.ANONYMOUS_REQUEST_MAX_BYTES + 1),
        **unreadable,
    )
    assert anonymous.status_code == 413
    api = Client().generic(
        "POST",
        "/api/v1/tickets",
        b"",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
        HTTP_AUTHORIZATION="Bearer x",
        **unreadable,
    )
    assert api.status_code == 413 and api.json()["code"] == "too_large"


# --- The lists above are whole ----------------------------------------------------------------

SOURCES = [
    Path(settings.BASE_DIR, "supportdesk", part)
    for part in ("portal", "workspace", "api", "ui", "accounts")
]
READS = re.compile(
    r"""GET\)?\.get\(\s*"(\w+)"|GET\[\s*"(\w+)"\s*\]|"(\w+)"\s+in\s+request\.GET|source\.get\(\s*"(\w+)"\)"""
)


def query_parameters_read() -> set[str]:
    found: set[str] = set()
    for root in SOURCES:
        for path in root.rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for match in READS.finditer(path.read_text()):
                found.update(group for group in match.groups() if group)
    found.update(schemas.TicketFilter.model_fields)  # the API's query parameters
    return found


def test_every_query_parameter_is_covered():
    read = query_parameters_read()
    assert {"after", "id", "org", "registered"} <= read  # the scan finds what it should
    missing = read - set(QUERY_PARAMETERS)
    assert not missing, f"Add to QUERY_PARAMETERS in {__file__}: {sorted(missing)}"


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def fields_of_the_interfaces() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for form in _subclasses(forms.BaseForm):
        module = form.__module__
        if module.startswith("supportdesk.") and not module.endswith(".admin"):
            for name in getattr(form, "base_fields", {}):
                found.setdefault(name, set()).add(f"{module}.{form.__name__}")
    for schema in _subclasses(Schema):
        if schema.__module__ == schemas.__name__ and (
            schema.__name__.endswith("In") or schema is schemas.TicketFilter
        ):
            for name in getattr(schema, "model_fields", {}):
                found.setdefault(name, set()).add(f"{schema.__module__}.{schema.__name__}")
    return found


def test_every_field_is_covered(world, cast):
    fields = fields_of_the_interfaces()
    assert {"subject", "body", "close_reason", "organization"} <= fields.keys()
    known = set(valid_fields(world, cast)) | set(QUERY_PARAMETERS)
    missing = {name: owners for name, owners in fields.items() if name not in known}
    assert not missing, f"Add a valid value to valid_fields in {__file__}: " + ", ".join(
        f"{name} ({', '.join(sorted(owners))})" for name, owners in sorted(missing.items())
    )


def test_the_walker_reaches_every_interface():
    found = {route.route for route in routes()}
    assert {"tickets/new/", "workspace/dispatch/", "api/v1/tickets", "accounts/login/"} <= found
    for route in routes():
        assert PARAMETER.sub("x", route.route) is not None
