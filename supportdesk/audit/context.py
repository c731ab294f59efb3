"""Who is acting in this request, for records written by receivers that do not see the request
(a model saved by the admin or a service). Set by AuditContextMiddleware."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from allauth.core.internal.httpkit import get_client_ip
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Actor:
    request: HttpRequest | None = None
    ip: str | None = None

    @property
    def user(self) -> Any:
        """The signed-in user of the request, read when a record is written; None otherwise."""
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


_current: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)
NOBODY = Actor()


def current_actor() -> Actor:
    """The request being handled, or NOBODY outside a request (a command, a task)."""
    return _current.get() or NOBODY


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the sign-in throttling sees it: behind a proxy, from
    X-Forwarded-For when ALLAUTH_TRUSTED_PROXY_COUNT says how many proxies to trust."""
    try:
        return get_client_ip(request)
    except ImproperlyConfigured:
        return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(Actor(request=request, ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
