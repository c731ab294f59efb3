"""Requests refused at the door, before any view, form or schema reads them.

``RequestLimitsMiddleware`` answers 413 from the ``Content-Length`` header alone when a body is
larger than a request may be (``REQUEST_MAX_MB``; ``ANONYMOUS_REQUEST_MAX_KB`` for a request that
carries no session cookie and no token), so an oversized upload is never read or spooled to disk.
It answers 400 with the reason when the path, a query parameter or a form field holds a NUL byte
or a lone surrogate (``supportdesk.inputs``): no such text reaches a query or a template. JSON
bodies are the API's: its schemas refuse the same characters with a 422 (``api/schemas.py``).
A cookie holding such text is dropped, as if it had not been sent: no session, CSRF token or
language can contain it (PostgreSQL cannot even look such a session key up). See
docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from supportdesk.inputs import is_unsafe_text

API_PREFIX = "/api/"


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _has_credentials(request: HttpRequest) -> bool:
    return bool(
        request.COOKIES.get(settings.SESSION_COOKIE_NAME) or request.headers.get("Authorization")
    )


def _drop_unsafe_cookies(request: HttpRequest) -> None:
    unsafe = [name for name, value in request.COOKIES.items() if is_unsafe_text(value)]
    for name in unsafe:
        del request.COOKIES[name]
    if settings.SESSION_COOKIE_NAME in unsafe:
        # SessionMiddleware ran first with the bad key (loaded lazily): start without a session.
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()


def _unsafe_fields(data: QueryDict) -> list[str]:
    fields = []
    for key, values in data.lists():
        if is_unsafe_text(key) or any(is_unsafe_text(str(value)) for value in values):
            fields.append(key if not is_unsafe_text(key) else "?")
    return sorted(set(fields))


class RequestLimitsMiddleware:
    """413 for a body over the limit (from Content-Length), 400 for NUL bytes and lone surrogates
    in the path, the query string and form fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _drop_unsafe_cookies(request)
        limit = settings.REQUEST_MAX_BYTES
        if not _has_credentials(request):
            limit = min(limit, settings.ANONYMOUS_REQUEST_MAX_BYTES)
        if _content_length(request) > limit:
            return self._refuse(
                request,
                413,
                "too_large",
                _("The request is too large: at most %(size)s MB can be sent at once.")
                % {"size": f"{limit / 1024 / 1024:.1f}".removesuffix(".0")},
            )
        if is_unsafe_text(request.path_info):
            return self._bad(request, ["path"])
        fields = _unsafe_fields(request.GET)
        if request.method == "POST" and not fields and not request.path_info.startswith(API_PREFIX):
            # File names are cleaned by tickets/attachments.sanitize_filename, never refused. The
            # API's bodies are left to its schemas: reading request.POST here would consume a
            # multipart stream that django-ninja reads again (RawPostDataException, a 500).
            fields = _unsafe_fields(request.POST)
        if fields:
            return self._bad(request, fields)
        return self.get_response(request)

    def _bad(self, request: HttpRequest, fields: list[str]) -> HttpResponse:
        return self._refuse(
            request,
            400,
            "invalid_characters",
            _(
                "The request contains characters that are not allowed (a NUL byte or a broken "
                "Unicode character) in: %(fields)s. Remove them and send it again."
            )
            % {"fields": ", ".join(fields)},
            fields,
        )

    @staticmethod
    def _refuse(
        request: HttpRequest, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse(
                {"code": code, "message": message, "fields": fields or []}, status=status
            )
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
