"""Deployment settings: ``check --deploy`` clean with the documented production environment, the
built-in SECRET_KEY refused, and a production server that slow clients cannot stall."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.urls import reverse

from supportdesk.accounts.tests.test_throttling import database_url, free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]

# The production environment of docs/operations.md (with an example key and host).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Kq2vN9pL4rT8wZ1cF6hJ3mB5nD0sG2aE9uY4iO7kR1tW6zX3vC8bM5lP0qS2dH",
    "ALLOWED_HOSTS": "support.example.com",
    "SITE_URL": "https://support.example.com",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
}


def manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; production
        # never has it (check --deploy refuses it, async.E001).
        if key
        not in {
            "SUPPORTDESK_TESTING",
            "SECRET_KEY",
            "DEBUG",
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "SUPPORTDESK_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_built_in_secret_key_is_refused_when_debug_is_off(tmp_path):
    without_key = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    refused = manage(["check"], without_key, tmp_path)
    assert refused.returncode != 0
    assert "supportdesk.E001" in refused.stderr
    assert manage(["check"], {**without_key, "DEBUG": "1"}, tmp_path).returncode == 0


@pytest.mark.django_db
def test_the_api_token_page_is_never_cached(client, cast):
    client.force_login(cast.customer_alpha)
    shown = client.post(reverse("api_tokens"), {"name": "ci"})
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"


def slow_client(port: int) -> socket.socket:
    """A connection that sends a POST's headers and then only a trickle of its body."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nlogin="
    )
    return sock


@pytest.mark.django_db(transaction=True)
def test_slow_clients_do_not_stall_the_production_server(tmp_path):
    """The server as documented (deploy/gunicorn.conf.py), with one worker: three connections that
    send their bodies slowly hold three threads, and a normal page still answers at once."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SUPPORTDESK_TESTING": "1",
        "SUPPORTDESK_DATA_DIR": str(tmp_path),
        "WEB_WORKERS": "1",
        "WEB_ACCESS_LOG": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    slow = []
    try:
        wait_until_up(port)
        slow = [slow_client(port) for _ in range(3)]
        time.sleep(1)  # the server has handed them to threads, which wait for the bodies
        for sock in slow:
            sock.sendall(b"a")
        started = time.monotonic()
        response = httpx.get(f"http://127.0.0.1:{port}{reverse('account_login')}", timeout=10)
        elapsed = time.monotonic() - started
    finally:
        for sock in slow:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    assert response.status_code == 200
    assert elapsed < 2.0, f"a normal page waited {elapsed:.1f} s behind slow clients"
