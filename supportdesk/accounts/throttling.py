"""Sign-in throttling that answers 429 with Retry-After.

allauth counts the attempts (``ACCOUNT_RATE_LIMITS``) in the Django cache, which is shared by
every worker and host (Redis, or the database cache in the embedded default: config/settings.py).
A refused wrong password, though, is only a form error in allauth, and its own 429 carries no
Retry-After. This middleware looks at the same counters before a sign-in, sign-up or password
reset is handled and, when one of them is full, answers 429 with the seconds until a slot frees.
It never counts itself, so allauth stays the one place that records attempts.

The answer is the same for a known and an unknown address: the per-account counter is keyed by
the address as typed, whether or not an account has it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from allauth.core.internal import ratelimit
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

APP = "allauth.account"


def _login_key(request: HttpRequest) -> str:
    # The key allauth's adapter uses for "login_failed" (DefaultAccountAdapter).
    login = request.POST.get("login", "").strip().lower()
    return f"{get_current_site(request).domain}:{login}"


def _email_key(request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


# URL name → the allauth actions counted for it, each with how its per-key value is found.
GUARDED: dict[str, list[tuple[str, Callable[[HttpRequest], str] | None]]] = {
    "account_login": [("login", None), ("login_failed", _login_key)],
    "account_signup": [("signup", None)],
    "account_reset_password": [("reset_password", _email_key)],
}


def seconds_until_allowed(
    request: HttpRequest, actions: list[tuple[str, Callable[[HttpRequest], str] | None]]
) -> int:
    """0 if every counter of these actions has room; else the seconds until all of them have."""
    now = time.time()
    wait = 0.0
    for action, key_of in actions:
        for rate in ratelimit.get_rates(app=APP, action=action):
            if rate.per == "user" or (rate.per == "key" and key_of is None):
                continue
            key = key_of(request) if key_of is not None and rate.per == "key" else None
            cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key)
            history = sorted(
                (ts for ts in cache.get(cache_key, []) if ts > now - rate.duration), reverse=True
            )
            if len(history) >= rate.amount:
                wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait) if wait > 0 else 0


def too_many_requests(request: HttpRequest, retry_after: int = 60) -> HttpResponse:
    """The 429 page: the same for every address, with the wait in Retry-After."""
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(max(retry_after, 1))
    response["Cache-Control"] = "no-store"
    return response


def handler429(request: HttpRequest) -> HttpResponse:
    """allauth's own refusals (config.urls.handler429): the longest configured window."""
    return too_many_requests(request, 60)


class AuthThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            actions = GUARDED.get(name or "")
            if actions:
                wait = seconds_until_allowed(request, actions)
                if wait:
                    return too_many_requests(request, wait)
        return self.get_response(request)
