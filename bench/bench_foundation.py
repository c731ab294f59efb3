"""Foundation benchmark: registration throughput and portal list latency at scale.

    python bench/bench_foundation.py [--tickets 100000] [--skip-generate]

Generates the tickets (bench/generate.py) unless told not to, then measures on the same database:
registrations through ``register_ticket``; registrations over HTTP against a real gunicorn on
127.0.0.1 (the portal's new-request form, and the REST API); and the latency of the customer's
ticket list, first and deep keyset pages, as the big organization's administrator and as a plain
contact. Prints the machine and one table. Uses ``DATABASE_URL`` when set (PostgreSQL), else the
default SQLite. All loops are bounded; the server is stopped at the end, also on errors.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    format_table,
    percentile,
    print_machine_info,
    setup_django,
)

HOST = "127.0.0.1"
SUBJECT = "Benchmark: agent does not start after update"
DESCRIPTION = "Registered by bench/bench_foundation.py. The agent service stops after the update."


@dataclass
class Row:
    name: str
    n: int | str
    value: str
    p50: float | None = None
    p95: float | None = None
    note: str = ""

    def cells(self) -> list[str]:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        return [self.name, str(self.n), self.value, ms(self.p50), ms(self.p95), self.note]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def add_samples(
        self, name: str, samples: list[float], wall: float, ok: int, unit: str, note: str = ""
    ) -> None:
        ms = [s * 1000 for s in samples]
        rate = f"{ok / wall:,.1f} {unit}" if wall else "-"
        self.rows.append(Row(name, ok, rate, percentile(ms, 50), percentile(ms, 95), note))


# HTTP -------------------------------------------------------------------------------------------


class Session:
    """A tiny cookie-keeping client for 127.0.0.1 only (one connection per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    self.cookies[key] = morsel.value
            return response.status, dict(response.headers), text
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict) -> tuple[int, dict[str, str], str]:
        body = urlencode(data, doseq=True).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body, headers)


def csrf_token_in(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn config.wsgi with 2 workers (runserver if gunicorn does not come up)."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # Kept open for the server's whole life and closed in stop(), not in a with-block.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="bench-server-", suffix=".log", delete=False
        )
        self.kind = ""

    def start(self) -> None:
        commands = [
            (
                "gunicorn",
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers",
                 str(self.workers), "--bind", f"{HOST}:{self.port}", "--timeout", "60"],
            ),
            (
                "runserver",
                [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{self.port}"],
            ),
        ]  # fmt: skip
        for kind, command in commands:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() ends the workers too
            )
            if self._wait_ready(timeout=30):
                self.kind = kind
                return
            self.stop()
        raise RuntimeError(f"the server did not start, see {self.log.name}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                status, _, _ = Session(self.port).get("/accounts/login/")
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.3)
        return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None


def login(port: int, user) -> Session:
    """Log in through allauth's form (CSRF and all); force a session if the form refuses."""
    session = Session(port)
    status, _, page = session.get("/accounts/login/")
    status, _, _ = session.post_form(
        "/accounts/login/",
        {"login": user.email, "password": "demo", "csrfmiddlewaretoken": csrf_token_in(page)},
    )
    if status == 302 and "sessionid" in session.cookies:
        return session
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    print(f"  (login form answered {status} for {user.email}: forced a session)")
    return session


def run_parallel(n: int, threads: int, call) -> tuple[list[float], float, int, list[str]]:
    """Call ``call(i)`` n times on a pool; returns latencies, wall time, successes, errors."""
    latencies: list[float] = []
    errors: list[str] = []

    def one(i: int) -> tuple[float, str | None]:
        start = time.perf_counter()
        try:
            error = call(i)
        except Exception as exc:
            error = repr(exc)
        return time.perf_counter() - start, error

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for latency, error in pool.map(one, range(n)):
            if error:
                errors.append(error)
            else:
                latencies.append(latency)
    return latencies, time.perf_counter() - start, len(latencies), errors


# Benchmarks -------------------------------------------------------------------------------------


def registration_request(cast, channel: str = "portal", n: int = 0):
    from supportdesk.regulations.models import Priority
    from supportdesk.tickets.registration import RegistrationRequest

    contact = cast.customer_alpha.contact
    lowest = Priority.objects.filter(regulation=cast.regulation_000).order_by("-rank").first()
    return RegistrationRequest(
        channel=channel,
        requested_by=cast.customer_alpha,
        contact=contact,
        support_id=cast.contract_alpha.support_id,
        support_contact_id=contact.support_contact_id or "",
        product=cast.product_sep,
        version="14.3 RU8",
        os_version="Windows Server 2019",
        service_pack="-",
        subject=f"{SUBJECT} #{n}",
        description=DESCRIPTION,
        priority_code=lowest.code if lowest else "",
    )


def bench_service(cast, n: int, results: Results) -> None:
    from supportdesk.tickets.registration import register_ticket

    for i in range(5):  # warm-up: connections, caches, first-use imports
        register_ticket(request=registration_request(cast, n=i))
    samples = []
    start = time.perf_counter()
    for i in range(n):
        request = registration_request(cast, n=i)
        t = time.perf_counter()
        register_ticket(request=request)
        samples.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    results.add_samples(
        "register_ticket (service, sequential)", samples, wall, n, "reg/s", "customer_alpha"
    )


def portal_form_data(cast) -> dict:
    """The new-request form as the browser posts it, with what the regulation asks for."""
    from django.utils import timezone

    from supportdesk.contracts.entitlements import active_contracts
    from supportdesk.portal.forms import RequestForm

    contact = cast.customer_alpha.contact
    contracts = active_contracts(
        organization_id=contact.organization_id, day=timezone.localdate()
    ).order_by("support_id")
    form = RequestForm(None, contracts=contracts, contract=cast.contract_alpha, contact=contact)
    return {
        "contract": cast.contract_alpha.pk,
        "support_id": cast.contract_alpha.support_id,
        "support_contact_id": contact.support_contact_id or "",
        "license_key": "",
        "product": cast.product_sep.pk,
        "version": "14.3 RU8",
        "os_version": "Windows Server 2019",
        "service_pack": "-",
        "priority": form.priorities[-1].code if form.priorities else "",
        "subject": SUBJECT,
        "description": DESCRIPTION,
        "diagnostics": [str(item.pk) for item in form.diagnostics_items],
    }


def bench_http_portal(cast, port: int, n: int, threads: int, results: Results) -> None:
    session = login(port, cast.customer_alpha)
    status, _, page = session.get("/tickets/new/")
    if status != 200:
        results.missing.append(f"portal new-request form: GET /tickets/new/ answered {status}")
        return
    data = {**portal_form_data(cast), "csrfmiddlewaretoken": csrf_token_in(page)}

    def post(i: int) -> str | None:
        status, headers, body = session.post_form(
            "/tickets/new/", {**data, "subject": f"{SUBJECT} #{i}"}
        )
        if status == 302 and "/tickets/" in headers.get("Location", ""):
            return None
        return f"{status} {' '.join(body.split())[:200]}"

    post(-1)  # warm-up
    samples, wall, ok, errors = run_parallel(n, threads, post)
    note = f"{threads} threads, {len(errors)} errors" + (f": {errors[0]}" if errors else "")
    results.add_samples("HTTP portal form POST /tickets/new/", samples, wall, ok, "reg/s", note)


def bench_http_api(cast, port: int, n: int, threads: int, results: Results) -> None:
    try:
        from supportdesk.api.services import create_api_token
    except ImportError:
        results.missing.append("REST API token service (supportdesk.api.services)")
        return
    _, token = create_api_token(user=cast.customer_alpha, name="bench")
    request = registration_request(cast, channel="api")
    payload = {
        "support_id": request.support_id,
        "support_contact_id": request.support_contact_id,
        "product": cast.product_sep.code,
        "version": request.version,
        "os_version": request.os_version,
        "service_pack": request.service_pack,
        "subject": SUBJECT,
        "description": DESCRIPTION,
        "priority": request.priority_code,
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(i: int) -> str | None:
        body = json.dumps({**payload, "subject": f"{SUBJECT} #{i}"}).encode()
        status, _, text = Session(port).request("POST", "/api/v1/tickets", body, headers)
        return None if status == 201 else f"{status} {text[:200]}"

    first = post(-1)
    if first is not None:
        results.missing.append(f"REST API registration refused: {first}")
        return
    samples, wall, ok, errors = run_parallel(n, threads, post)
    note = f"{threads} threads, {len(errors)} errors" + (f": {errors[0]}" if errors else "")
    results.add_samples("HTTP API POST /api/v1/tickets", samples, wall, ok, "reg/s", note)


def follow_older(session: Session, path: str, pages: int) -> tuple[str, int]:
    """Follow the page's "older" (rel=next) link up to ``pages`` times; the last URL reached."""
    reached = 0
    for _ in range(pages):
        status, _, page = session.get(path)
        match = re.search(r'<a href="([^"]+)" rel="next"', page) if status == 200 else None
        if not match:
            break
        href = html.unescape(match.group(1))
        path = href if href.startswith("/") else "/tickets/" + href
        reached += 1
    return path, reached


def query_count(user, path: str) -> int | None:
    """Queries the page runs, counted in-process with the test client (same code path)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST=HOST)
    return len(queries) if response.status_code == 200 else None


def bench_list(cast, port: int, n: int, deep_pages: int, results: Results) -> None:
    from supportdesk.access import visible_tickets

    # colleague_alpha, not customer_alpha: the registration benchmarks add their tickets to the
    # latter, and a plain contact's list should hold only generated ones.
    for label, user in (("org admin", cast.orgadmin_alpha), ("contact", cast.colleague_alpha)):
        visible = visible_tickets(user).count()
        session = login(port, user)
        for state in ("open", "all"):
            first = f"/tickets/?state={state}"
            deep, reached = follow_older(session, first, deep_pages)
            targets = [("first page", first)]
            if reached:
                targets.append((f"page {reached + 1}", deep))
            for page_label, path in targets:
                status, _, _ = session.get(path)  # warm-up
                if status != 200:
                    results.missing.append(f"ticket list {path} answered {status}")
                    continue
                samples = []
                start = time.perf_counter()
                for _ in range(n):
                    t = time.perf_counter()
                    status, _, _ = session.get(path)
                    samples.append(time.perf_counter() - t)
                wall = time.perf_counter() - start
                queries = query_count(user, path)
                results.add_samples(
                    f"GET list ({label}, {state}, {page_label})",
                    samples,
                    wall,
                    n,
                    "req/s",
                    f"sees {visible:,} tickets; {queries} queries",
                )


def main(argv: list[str] | None = None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--service-n", type=int, default=500)
    parser.add_argument("--http-n", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--list-n", type=int, default=200)
    parser.add_argument("--deep-pages", type=int, default=40)
    args = parser.parse_args(argv)

    setup_django()
    # The test client used to count queries warns about a missing collectstatic directory.
    warnings.filterwarnings("ignore", message="No directory at")
    from bench.generate import generate
    from supportdesk.demo.cast import load_demo
    from supportdesk.tickets.models import Ticket

    print_machine_info()
    print()
    results = Results()
    if not args.skip_generate:
        generated = generate(tickets=args.tickets, orgs=args.orgs, seed=args.seed)
        print(generated.table())
        print()
        results.rows.append(
            Row(
                "generate tickets + events (bench/generate.py)",
                f"{generated.counts['tickets']:,}",
                f"{generated.elapsed:.1f} s",
                note=(
                    f"{generated.counts['events']:,} events, "
                    f"{generated.rows / generated.elapsed:,.0f} rows/s"
                ),
            )
        )
    cast = load_demo()
    total = Ticket.objects.count()
    big = Ticket.objects.filter(organization=cast.alpha).count()
    print(f"tickets in the database: {total:,} (big organization {cast.alpha.name}: {big:,})")

    print("register_ticket …", flush=True)
    bench_service(cast, args.service_n, results)
    server = Server()
    try:
        server.start()
        print(f"server: {server.kind} on {HOST}:{server.port} (log {server.log.name})")
        print("HTTP registrations …", flush=True)
        bench_http_portal(cast, server.port, args.http_n, args.threads, results)
        bench_http_api(cast, server.port, args.http_n, args.threads, results)
        print("ticket list latency …", flush=True)
        bench_list(cast, server.port, args.list_n, args.deep_pages, results)
    finally:
        server.stop()

    print()
    print(
        format_table(
            ["measure", "n", "throughput / value", "p50 ms", "p95 ms", "note"],
            [row.cells() for row in results.rows],
        )
    )
    for item in results.missing:
        print(f"missing: {item}")
    return results


if __name__ == "__main__":
    main()
