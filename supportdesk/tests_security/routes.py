"""Every URL pattern of the project, with how to fill its parameters: the walker the security tests
share (the isolation matrix, the hostile-input walk).

A route with an unknown parameter is reported by ``classify`` as uncovered until a filler or an
allow-list entry (``ALLOW_LIST``, with a reason) is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from supportdesk.tests_security.conftest import (
    AlphaWorld,
)

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
