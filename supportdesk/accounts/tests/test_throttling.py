"""Sign-in, sign-up and password-reset throttling: per account and per IP, 429 with Retry-After,
the same answer for known and unknown addresses, and counters shared by separate processes."""

from __future__ import annotations

import datetime
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from supportdesk.accounts.models import User

LOGIN = reverse("account_login")
ROOT = Path(__file__).resolve().parents[3]
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _empty_counters():
    cache.clear()
    yield
    cache.clear()


def wrong_password(client, login: str):
    return client.post(LOGIN, {"login": login, "password": "not-the-password"})


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["ivan@alpha.example", "nobody-here@alpha.example"])
def test_five_wrong_passwords_block_the_account_with_429_known_or_not(client, cast, login):
    with time_machine.travel(T0, tick=False) as traveller:
        statuses = [wrong_password(client, login).status_code for _ in range(5)]
        traveller.shift(datetime.timedelta(seconds=100))
        refused = wrong_password(client, login)
        right = client.post(LOGIN, {"login": login, "password": "demo"})
        traveller.shift(datetime.timedelta(seconds=201))  # five minutes after the first
        after = client.post(LOGIN, {"login": login, "password": "demo"})

    assert statuses == [200] * 5  # the form says the address or password is wrong
    assert refused.status_code == 429
    assert refused["Retry-After"] == "200"  # the oldest failure leaves the window then
    assert refused["Cache-Control"] == "no-store"
    assert right.status_code == 429  # even the right password waits: no guessing through
    expected_after = 302 if login == "ivan@alpha.example" else 200
    assert after.status_code == expected_after
    assert "_auth_user_id" not in client.session or login == "ivan@alpha.example"


@pytest.mark.django_db
def test_the_refusal_reads_the_same_for_a_known_and_an_unknown_address(client, cast):
    answers = []
    for login in ("ivan@alpha.example", "nobody-here@alpha.example"):
        with time_machine.travel(T0, tick=False):
            for _ in range(5):
                wrong_password(client, login)
            response = wrong_password(client, login)
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        answers.append((response.status_code, response["Retry-After"], body))
        cache.clear()
    assert answers[0] == answers[1]


@pytest.mark.django_db
def test_an_attacker_does_not_lock_out_others_behind_the_same_address(client, cast):
    """One address (an office NAT): the attacker's guesses block the account guessed at, not the
    colleague who signs in to another account from the same address."""
    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            wrong_password(client, "ivan@alpha.example")
        assert wrong_password(client, "ivan@alpha.example").status_code == 429
        colleague = client.__class__()
        response = colleague.post(LOGIN, {"login": "petr@alpha.example", "password": "demo"})
        assert response.status_code == 302
        assert colleague.session["_auth_user_id"] == str(cast.colleague_alpha.pk)


@pytest.mark.django_db
def test_spraying_many_accounts_from_one_address_is_stopped_per_ip(client, cast, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "5/5m/key,12/10m/ip",
    }
    with time_machine.travel(T0, tick=False):
        statuses = [wrong_password(client, f"user{n}@alpha.example").status_code for n in range(13)]
    assert statuses == [200] * 12 + [429]


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["ivan@alpha.example", "nobody-here@alpha.example"])
def test_password_reset_is_throttled_per_address(client, cast, email):
    url = reverse("account_reset_password")
    with time_machine.travel(T0, tick=False):
        statuses = [client.post(url, {"email": email}).status_code for _ in range(4)]
        refused = client.post(url, {"email": email})
    assert statuses[:3] == [302] * 3
    assert statuses[3] == 429 and refused.status_code == 429
    assert int(refused["Retry-After"]) == 300


@pytest.mark.django_db
def test_sign_up_is_throttled_per_ip(client, cast, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/m/ip"}
    url = reverse("account_signup")
    with time_machine.travel(T0, tick=False):
        statuses = [
            client.post(url, {"email": f"new{n}@example.com", "password1": "x"}).status_code
            for n in range(4)
        ]
        refused = client.post(url, {"email": "new9@example.com", "password1": "x"})
    assert statuses[3] == 429 and refused.status_code == 429
    assert refused["Retry-After"] == "60"


# --- Across processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as a URL for another process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_server(port: int, cache_url: str, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CACHE_URL": cache_url,
        "CACHE_KEY_PREFIX": f"throttle-test-{os.getpid()}",
        "SUPPORTDESK_TESTING": "1",
        "SUPPORTDESK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / f"server-{port}.log").open("w"),
        start_new_session=True,
    )


def wait_until_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}{LOGIN}", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"the server on port {port} did not start")


def post_wrong_password(port: int, login: str) -> httpx.Response:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        page = http.get(LOGIN)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found is not None, page.text
        token = found.group(1)
        return http.post(
            LOGIN,
            data={"login": login, "password": "wrong", "csrfmiddlewaretoken": token},
            headers={"Referer": f"http://127.0.0.1:{port}{LOGIN}"},
        )


def shared_caches() -> list[str]:
    caches = ["db://"]
    if os.environ.get("REDIS_URL"):
        caches.append(os.environ["REDIS_URL"])
    return caches


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_url", shared_caches())
def test_the_limit_holds_across_two_server_processes(cache_url, tmp_path):
    """Two gunicorn servers on one database and one shared cache, the guesses alternating between
    them: the sixth wrong password is refused whichever process gets it."""
    User.objects.create(email="shared@alpha.example", password=make_password("right"))
    ports = [free_port(), free_port()]
    servers = [start_server(port, cache_url, tmp_path) for port in ports]
    try:
        for port in ports:
            wait_until_up(port)
        statuses = [
            post_wrong_password(ports[n % 2], "shared@alpha.example").status_code for n in range(6)
        ]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    assert statuses == [200] * 5 + [429]
