"""Agents' accounts: a second factor before any work, and sessions that end when idle; plus
``Cache-Control: no-store`` on the pages that show secrets.

An agent's session is accepted only when the sign-in used the second factor (allauth records
"mfa" among the session's authentication methods) or the agent has just set it up. An agent
without TOTP is sent to set it up; one with TOTP whose session skipped it (a session from before
the requirement, the Django admin's own login form) is signed out and asked to sign in again.
SUPPORTDESK_AGENT_MFA_REQUIRED turns this off (the demo under ``./dev run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Agent, User

# Set in the session when the agent proved the second factor outside a sign-in: on enrolment.
MFA_SESSION_KEY = "supportdesk_mfa_verified"
LAST_SEEN_KEY = "supportdesk_last_seen"
# The idle clock is written to the session at most this often (a write per request otherwise).
TOUCH_INTERVAL = 60
# What an agent without a second factor may still reach: sign-out, the MFA pages, the language.
OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/language/")
# Pages that show a secret (an API token once, TOTP secrets, recovery codes): never cached.
NO_STORE_PREFIXES = ("/api-tokens/", "/accounts/2fa/")


def is_agent(user: User) -> bool:
    try:
        return user.agent is not None
    except Agent.DoesNotExist:
        return False


def mfa_verified(request: HttpRequest, user: User) -> bool:
    if request.session.get(MFA_SESSION_KEY) == user.pk:
        return True
    return any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    )


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@receiver(user_logged_in)
def start_idle_clock(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """The idle clock starts at sign-in, in the session write the sign-in makes anyway."""
    if request is not None and hasattr(request, "session") and is_agent(user):
        touch(request)


def touch(request: HttpRequest) -> None:
    request.session[LAST_SEEN_KEY] = time.time()
    # The stored session and its cookie expire with the idle time too.
    request.session.set_expiry(settings.SUPPORTDESK_AGENT_IDLE_MINUTES * 60)


def _enrolled(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.method == "POST"
        and response.status_code == 302
        and request.path_info == reverse("mfa_activate_totp")
    )


class AgentSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):
            return self.get_response(request)
        agent = is_agent(user)
        if agent:
            refusal = self._idle(request) or self._second_factor(request, user)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        if agent and _enrolled(request, response) and has_totp(user):
            # Setting up the authenticator checked a code from it: the session has proved it.
            request.session[MFA_SESSION_KEY] = user.pk
        return response

    def _idle(self, request: HttpRequest) -> HttpResponse | None:
        """Sign an agent out after SUPPORTDESK_AGENT_IDLE_MINUTES without a request."""
        idle = settings.SUPPORTDESK_AGENT_IDLE_MINUTES * 60
        now = time.time()
        last_seen = request.session.get(LAST_SEEN_KEY)
        if isinstance(last_seen, int | float) and now - last_seen > idle:
            logout(request)
            messages.info(request, _("You were signed out after a period of inactivity."))
            return redirect_to_login(request.get_full_path())
        if not isinstance(last_seen, int | float) or now - last_seen >= TOUCH_INTERVAL:
            touch(request)
        return None

    def _second_factor(self, request: HttpRequest, user: User) -> HttpResponse | None:
        if not settings.SUPPORTDESK_AGENT_MFA_REQUIRED:
            return None
        if request.path_info.startswith(OPEN_PREFIXES) or mfa_verified(request, user):
            return None
        if has_totp(user):
            logout(request)
            messages.info(request, _("Sign in again with your authenticator code."))
            return redirect_to_login(request.get_full_path())
        messages.info(
            request,
            _("Agents need a second factor: set up an authenticator app to continue."),
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on pages that show secrets, so no browser or proxy keeps one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(NO_STORE_PREFIXES):
            response["Cache-Control"] = "no-store"
        return response
