"""Agents sign in with a second factor (TOTP, recovery codes) and their sessions end when idle."""

from __future__ import annotations

import datetime
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

LOGIN = reverse("account_login")
WORKSPACE = reverse("workspace:home")
ACTIVATE = reverse("mfa_activate_totp")
MFA_AUTHENTICATE = reverse("mfa_authenticate")
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def totp_code(secret: str, at: float | None = None) -> str:
    return format_hotp_value(hotp_value(secret, int((at or time.time()) // 30)))


def sign_in(client, email: str, password: str = "demo"):
    return client.post(LOGIN, {"login": email, "password": password})


@pytest.fixture
def mfa_required(settings):
    settings.SUPPORTDESK_AGENT_MFA_REQUIRED = True


@pytest.mark.django_db
def test_an_agent_without_a_second_factor_must_set_one_up_first(client, cast, mfa_required):
    with time_machine.travel(T0, tick=False) as traveller:
        assert sign_in(client, cast.engineer.email).status_code == 302
        response = client.get(WORKSPACE)
        assert response.status_code == 302 and response["Location"] == ACTIVATE

        # allauth asks for the password again before a second factor is added or removed.
        response = client.get(ACTIVATE)
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        client.post(response["Location"], {"password": "demo"})
        page = client.get(ACTIVATE)
        assert page.status_code == 200
        assert page["Cache-Control"] == "no-store"  # the page shows the secret
        secret = client.session[SECRET_SESSION_KEY]
        response = client.post(ACTIVATE, {"code": totp_code(secret)})
        assert response.status_code == 302

        assert client.get(WORKSPACE).status_code == 200
        [totp] = Authenticator.objects.filter(user=cast.engineer, type="totp")
        assert Authenticator.objects.filter(user=cast.engineer, type="recovery_codes").exists()
        codes = client.get(reverse("mfa_view_recovery_codes"))
        assert codes["Cache-Control"] == "no-store"

        # The next sign-in asks for the code; without it there is no session.
        client.logout()
        traveller.shift(datetime.timedelta(minutes=1))
        response = sign_in(client, cast.engineer.email)
        assert response["Location"].startswith(MFA_AUTHENTICATE)
        assert client.get(WORKSPACE).status_code == 302
        assert client.post(MFA_AUTHENTICATE, {"code": "000000"}).status_code == 200
        response = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
        assert response.status_code == 302
        assert client.get(WORKSPACE).status_code == 200
    assert totp.pk


@pytest.mark.django_db
def test_a_recovery_code_replaces_the_authenticator_once(client, cast, mfa_required):
    agent = cast.dispatcher
    TOTP.activate(agent, generate_totp_secret())
    codes = RecoveryCodes.activate(agent).get_unused_codes()

    sign_in(client, agent.email)
    assert client.post(MFA_AUTHENTICATE, {"code": codes[0]}).status_code == 302
    assert client.get(reverse("workspace:dispatch")).status_code == 200

    client.logout()
    sign_in(client, agent.email)
    assert client.post(MFA_AUTHENTICATE, {"code": codes[0]}).status_code == 200  # used up
    assert client.get(reverse("workspace:dispatch")).status_code == 302


@pytest.mark.django_db
def test_a_session_that_skipped_the_second_factor_is_ended(client, cast, mfa_required):
    """An agent with TOTP signed in some other way (the admin's login form, an old session)."""
    TOTP.activate(cast.manager, generate_totp_secret())
    client.force_login(cast.manager)

    response = client.get(WORKSPACE)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_agents_cannot_remove_their_authenticator_but_customers_are_not_asked(
    client, cast, mfa_required
):
    secret = generate_totp_secret()
    TOTP.activate(cast.engineer, secret)
    sign_in(client, cast.engineer.email)
    client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
    deactivate = reverse("mfa_deactivate_totp")
    client.post(f"{reverse('account_reauthenticate')}?next={deactivate}", {"password": "demo"})
    response = client.post(deactivate, {"code": totp_code(secret)})
    assert response.status_code == 200  # the form refuses
    assert Authenticator.objects.filter(user=cast.engineer, type="totp").exists()

    customer = client.__class__()
    assert sign_in(customer, cast.customer_alpha.email).status_code == 302
    assert customer.get(reverse("ticket_list")).status_code == 200


@pytest.mark.django_db
def test_the_requirement_can_be_turned_off(client, cast, settings):
    settings.SUPPORTDESK_AGENT_MFA_REQUIRED = False
    sign_in(client, cast.engineer.email)
    assert client.get(WORKSPACE).status_code == 200


@pytest.mark.django_db
def test_an_idle_agent_session_ends(client, cast, settings):
    settings.SUPPORTDESK_AGENT_IDLE_MINUTES = 60
    with time_machine.travel(T0, tick=False) as traveller:
        client.force_login(cast.engineer)
        assert client.get(WORKSPACE).status_code == 200
        for _ in range(3):  # active every 50 minutes: the session lives on
            traveller.shift(datetime.timedelta(minutes=50))
            assert client.get(WORKSPACE).status_code == 200
        traveller.shift(datetime.timedelta(minutes=61))
        response = client.get(WORKSPACE)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert client.get(WORKSPACE).status_code == 302  # signed out for good

        # Customers' sessions are not cut short.
        client.force_login(cast.customer_alpha)
        assert client.get(reverse("ticket_list")).status_code == 200
        traveller.shift(datetime.timedelta(hours=5))
        assert client.get(reverse("ticket_list")).status_code == 200
