"""supportdesk beside django-helpdesk 2.6.1: the same loads, interleaved, on the same PostgreSQL.

    python bench/side_by_side.py --size 100000 --rounds 2 [--duration 30] [--skip-prepare]

Prepares both systems at ``--size`` tickets (the peer with its harness in
../shared/peerbench/django_helpdesk: ``setup.sh`` once, then ``gen_data.py --target``; ours in its
own database with ``bench/generate.py``), then runs ``--rounds`` rounds. Each round starts one
system at a time under gunicorn with 2 sync workers (peer first, then ours), measures, stops it:

- creation over the API: ``loadgen.py``, 16 connections, ``--duration`` s (peer: ``POST
  /api/tickets/`` with a staff session, as its harness does; ours: ``POST /api/v1/tickets`` with a
  customer's token);
- creation through the customer's web form, the same load (peer: its public submit form
  ``/tickets/submit/``; ours: the portal's ``/tickets/new/``), successes counted as the 302
  after a created ticket and checked against the rows created;
- reads, sequential, as one user: the agent's queue, the ticket page, search where there is one
  (peer: ``measure_reads.py``; ours: the same shape of loop here).

Prints both figures and the ratio per round, and the worker RSS after the round. Everything runs on
127.0.0.1. The machine is shared: compare the ratios of one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import format_table, percentile, print_machine_info, setup_django

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = Path(
    os.environ.get("PEER_DIR", ROOT.parent / "shared" / "peerbench" / "django_helpdesk")
)
PEER_PY = Path("/tmp/peerbench/venv/bin/python")
HOST = "127.0.0.1"
PEER_PORT, OURS_PORT = 8077, 8078
OUT = Path(tempfile.gettempdir()) / "side_by_side"
SEARCH = "бастион"
# Seconds of the same load, not measured, before each creation load: a fresh worker first imports
# and compiles what it needs (templates, URL patterns, holiday tables), which would otherwise land
# in a short measurement.
WARMUP = {"seconds": 10.0}
TEXT = "Добрый день! После обновления до 7.2 экспорт в PDF не работает, в журнале ошибка E4242."


def sh(command: list[str], *, cwd: Path = ROOT, env: dict | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- The two servers ------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, name: str, command: list[str], cwd: Path, env: dict, port: int) -> None:
        self.name, self.command, self.cwd, self.env, self.port = name, command, cwd, env, port
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        log = (OUT / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [*self.command, "--workers", "2", "--worker-class", "sync", "--timeout", "120",
             "--bind", f"{HOST}:{self.port}"],
            cwd=self.cwd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start, see {OUT / self.name}.log")
            try:
                status = http_get(self.port, "/", {})[0]
                if status:
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer")

    def worker_rss_mib(self) -> list[float]:
        """Peak RSS (VmHWM) of each worker."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                sizes.append(round(int(match.group(1)) / 1024, 1))
        return sizes

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(os.getpgid(self.process.pid), signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)


def http_get(port: int, path: str, cookies: dict) -> tuple[int, str, float]:
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = {"Host": f"{HOST}:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, body, time.perf_counter() - started
    finally:
        connection.close()


def loadgen(url: str, headers: list[str], body: str, duration: float, out: Path) -> dict:
    if WARMUP["seconds"] > 0:
        _loadgen(url, headers, body, WARMUP["seconds"], out.with_suffix(".warmup.json"))
    return _loadgen(url, headers, body, duration, out)


def _loadgen(url: str, headers: list[str], body: str, duration: float, out: Path) -> dict:
    command = [str(PEER_PY), str(PEER_DIR / "loadgen.py"), "--url", url, "--method", "POST",
               "--body-template", body, "--concurrency", "16", "--duration", str(duration),
               "--timeout", "60", "--queues", "200", "--out", str(out)]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    sh(command)
    return json.loads(out.read_text())


def form_rate(result: dict) -> float:
    """Successful form posts per second: the 302 a created ticket answers with."""
    return round(result["http_errors"].get("302", 0) / result["elapsed_s"], 1)


# --- The peer -------------------------------------------------------------------------------

PEER_ENV = {
    "PEERBENCH_DB": "postgres",
    "PYTHONDONTWRITEBYTECODE": "1",
    "DJANGO_SETTINGS_MODULE": "peerdesk.settings",
}


def peer_prepare(size: int) -> None:
    if not PEER_PY.exists():
        sh(["./setup.sh"], cwd=PEER_DIR, env=PEER_ENV)
    sh([str(PEER_PY), "gen_data.py", "--target", str(size)], cwd=PEER_DIR, env=PEER_ENV)


def peer_info() -> dict:
    return json.loads(sh([str(PEER_PY), "dbinfo.py"], cwd=PEER_DIR, env=PEER_ENV))


def peer_server() -> Gunicorn:
    return Gunicorn(
        "peer",
        [str(PEER_PY.parent / "gunicorn"), "peerdesk.wsgi:application"],
        PEER_DIR / "project",
        PEER_ENV,
        PEER_PORT,
    )


def peer_round(r: int, duration: float, reads: int, info: dict) -> dict:
    figures: dict = {}
    with peer_server() as server:
        sid, csrf = sh([str(PEER_PY), "hdclient.py", str(PEER_PORT), "bench", "bench-pass"],
                       cwd=PEER_DIR, env=PEER_ENV).split()  # fmt: skip
        body = (
            json.dumps(
                {
                    "queue": 0,
                    "title": "Load test ticket {{seq}}: не работает экспорт в PDF",
                    "description": f"Request {{{{seq}}}} ({{{{rand}}}}). {TEXT}",
                    "submitter_email": "load{{worker}}@c001.customer.example",
                    "priority": 0,
                },
                ensure_ascii=False,
            )
            .replace('"queue": 0', '"queue": {{queue}}')
            .replace('"priority": 0', '"priority": {{prio}}')
        )
        api = loadgen(
            f"http://{HOST}:{PEER_PORT}/api/tickets/",
            ["Content-Type: application/json", f"Cookie: sessionid={sid}; csrftoken={csrf}",
             f"X-CSRFToken: {csrf}", f"Referer: http://{HOST}:{PEER_PORT}/tickets/"],
            body, duration, OUT / f"peer_api_{r}.json",
        )  # fmt: skip
        figures["api"] = (api["rps_ok"], api["p50_ms"], api["p95_ms"])
        form_csrf = sh([str(PEER_PY), "-c", PEER_FORM_CSRF, str(PEER_PORT)], cwd=PEER_DIR).split()
        form_body = "&".join(
            [
                "queue={{queue}}",
                "title=" + quote("Load test ticket ") + "{{seq}}",
                "body=" + quote(TEXT) + "+{{rand}}",
                "submitter_email=load{{worker}}%40c001.customer.example",
                "priority=3",
                "csrfmiddlewaretoken=" + form_csrf[1],
            ]
        )
        form = loadgen(
            f"http://{HOST}:{PEER_PORT}/tickets/submit/",
            ["Content-Type: application/x-www-form-urlencoded",
             f"Cookie: csrftoken={form_csrf[0]}",
             f"Referer: http://{HOST}:{PEER_PORT}/tickets/submit/"],
            form_body, duration, OUT / f"peer_form_{r}.json",
        )  # fmt: skip
        figures["form"] = (form_rate(form), form["p50_ms"], form["p95_ms"])
        out = OUT / f"peer_reads_{r}.json"
        sh([str(PEER_PY), "measure_reads.py", "--port", str(PEER_PORT),
            "--queue", str(info["top_queue_id"]), "--max-ticket-id", str(info["max_ticket_id"]),
            "--requests", str(reads), "--search", SEARCH, "--max-seconds", "90",
            "--out", str(out)], cwd=PEER_DIR, env=PEER_ENV)  # fmt: skip
        data = json.loads(out.read_text())
        figures["reads"] = {
            "queue": _peer_read(data, "list_default"),
            "one customer's open tickets": _peer_read(data, "list_filtered"),
            "search": _peer_read(data, "list_search"),
            "ticket page": _peer_read(data, "ticket_view"),
        }
        figures["rss"] = server.worker_rss_mib()
    return figures


def _peer_read(data: list[dict], name: str) -> tuple[float, float]:
    """measure_reads.py's "total" (list: HTML page + DataTables JSON) of one scenario."""
    scenario = next(item for item in data if item["scenario"] == name)
    return scenario["total"]["p50_ms"], scenario["total"]["p95_ms"]


# The public form's CSRF cookie and token, fetched with the harness's own client.
PEER_FORM_CSRF = """
import re, sys
from hdclient import Session
s = Session(port=int(sys.argv[1]))
status, headers, body, _ = s.request("GET", "/tickets/submit/")
token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
print(s.cookies["csrftoken"], token)
"""


# --- Ours -----------------------------------------------------------------------------------


def ours_env(database: str) -> dict:
    return {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "SUPPORTDESK_DATA_DIR": str(OUT / "ours-data"),
        "DEBUG": "0",
        "SECRET_KEY": "side-by-side-bench-secret-key-0123456789abcdefghijklmnop",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{OURS_PORT}",
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
    }


def ours_prepare(database: str, size: int) -> None:
    subprocess.run(["createdb", "-h", HOST, "-U", "postgres", database], capture_output=True)
    env = ours_env(database)
    sh([sys.executable, "manage.py", "migrate", "-v", "0"], env=env)
    shell = [sys.executable, "manage.py", "shell", "-c", COUNT_TICKETS]
    have = int(sh(shell, env=env).strip().splitlines()[-1])
    if have < size:
        sh([sys.executable, "bench/generate.py", "--tickets", str(size - have)], env=env)


COUNT_TICKETS = "from supportdesk.tickets.models import Ticket; print(Ticket.objects.count())"

# Token, numbers for the ticket page, and the portal form's fixed fields, as JSON.
OURS_INFO = """
import json, random
from supportdesk.accounts.models import User
from supportdesk.api.services import create_api_token
from supportdesk.demo.cast import load_demo
from supportdesk.tickets.models import Ticket
cast = load_demo()
_, token = create_api_token(user=User.objects.get(email="ivan@alpha.example"), name="side-by-side")
numbers = list(Ticket.objects.filter(number__startswith="GEN-").order_by("?")
               .values_list("number", flat=True)[:200])
print(json.dumps({"token": token, "numbers": numbers, "contract": cast.contract_alpha.pk,
                  "product": cast.product_sep.pk}))
"""


def ours_server(database: str) -> Gunicorn:
    return Gunicorn(
        "ours",
        [sys.executable, "-m", "gunicorn", "config.wsgi"],
        ROOT,
        ours_env(database),
        OURS_PORT,
    )


def login(port: int, email: str) -> dict:
    """Cookies of a session opened through allauth's login form."""
    import http.client

    cookies: dict = {}

    def request(method: str, path: str, body: str = "") -> str:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        headers = {"Host": f"{HOST}:{port}", "Content-Type": "application/x-www-form-urlencoded"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return text

    page = request("GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    request("POST", "/accounts/login/", urlencode(
        {"login": email, "password": "demo", "csrfmiddlewaretoken": token}))  # fmt: skip
    if "sessionid" not in cookies:
        raise RuntimeError(f"login as {email} failed")
    return cookies


def timed_gets(port: int, cookies: dict, paths: list[str]) -> tuple[float, float]:
    for path in paths[:3]:
        http_get(port, path, cookies)
    samples = []
    for path in paths:
        status, _, seconds = http_get(port, path, cookies)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        samples.append(seconds)
    return round(percentile(samples, 50) * 1000, 1), round(percentile(samples, 95) * 1000, 1)


def ours_round(r: int, database: str, duration: float, reads: int, info: dict) -> dict:
    figures: dict = {}
    with ours_server(database) as server:
        body = json.dumps(
            {
                "support_contact_id": "SC-1001",
                "product": "symantec-endpoint-protection",
                "version": "14.3 RU9",
                "os_version": "Windows Server 2022",
                "service_pack": "none",
                "subject": "Load test ticket {{seq}}: не работает экспорт в PDF",
                "description": f"Request {{{{seq}}}} ({{{{rand}}}}). {TEXT}",
                "priority": "p3",
            },
            ensure_ascii=False,
        )
        api = loadgen(
            f"http://{HOST}:{OURS_PORT}/api/v1/tickets",
            ["Content-Type: application/json", f"Authorization: Bearer {info['token']}"],
            body, duration, OUT / f"ours_api_{r}.json",
        )  # fmt: skip
        figures["api"] = (api["rps_ok"], api["p50_ms"], api["p95_ms"])

        customer = login(OURS_PORT, "ivan@alpha.example")
        _, page, _ = http_get(OURS_PORT, "/tickets/new/", customer)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form_body = "&".join(
            [
                f"contract={info['contract']}",
                "support_contact_id=SC-1001",
                f"product={info['product']}",
                "version=14.3+RU8",
                "os_version=Windows+Server+2019",
                "service_pack=none",
                "priority=p3",
                "subject=" + quote("Load test ticket ") + "{{seq}}",
                "description=" + quote(TEXT) + "+{{rand}}",
                f"csrfmiddlewaretoken={token}",
            ]
        )
        cookie = "; ".join(f"{k}={v}" for k, v in customer.items())
        form = loadgen(
            f"http://{HOST}:{OURS_PORT}/tickets/new/",
            ["Content-Type: application/x-www-form-urlencoded", f"Cookie: {cookie}",
             f"Referer: http://{HOST}:{OURS_PORT}/tickets/new/"],
            form_body, duration, OUT / f"ours_form_{r}.json",
        )  # fmt: skip
        figures["form"] = (form_rate(form), form["p50_ms"], form["p95_ms"])

        agent = login(OURS_PORT, "manager@support.example")
        numbers = random.Random(r).sample(info["numbers"], min(reads, len(info["numbers"])))
        figures["reads"] = {
            "queue": timed_gets(OURS_PORT, agent, ["/workspace/"] * reads),
            "one customer's open tickets": timed_gets(
                OURS_PORT, login(OURS_PORT, "anna@alpha.example"), ["/tickets/?state=open"] * reads
            ),
            "search": _ours_search(agent, reads),
            "ticket page": timed_gets(
                OURS_PORT, agent, [f"/workspace/tickets/{n}/" for n in numbers]
            ),
        }
        figures["rss"] = server.worker_rss_mib()
    return figures


def _ours_search(agent: dict, reads: int) -> tuple[float, float] | None:
    """The workspace search, where the build has one (``/workspace/search/?q=``)."""
    path = f"/workspace/search/?q={quote(SEARCH)}"
    if http_get(OURS_PORT, path, agent)[0] != 200:
        return None
    return timed_gets(OURS_PORT, agent, [path] * reads)


# --- The run --------------------------------------------------------------------------------


def ratio(ours: float | None, peer: float | None, *, higher_is_better: bool) -> str:
    if not ours or not peer:
        return "-"
    return f"{(ours / peer if higher_is_better else peer / ours):.1f}x"


def report(r: int, peer: dict, ours: dict) -> str:
    rows = [
        ("creation, API (ok/s)", peer["api"][0], ours["api"][0],
         ratio(ours["api"][0], peer["api"][0], higher_is_better=True),
         f"p50 {peer['api'][1]} / {ours['api'][1]} ms"),
        ("creation, customer form (ok/s)", peer["form"][0], ours["form"][0],
         ratio(ours["form"][0], peer["form"][0], higher_is_better=True),
         f"p50 {peer['form'][1]} / {ours['form'][1]} ms"),
    ]  # fmt: skip
    for name, (p50, p95) in peer["reads"].items():
        mine = ours["reads"].get(name)
        rows.append(
            (
                f"{name}, p50 / p95 ms",
                f"{p50} / {p95}",
                f"{mine[0]} / {mine[1]}" if mine else "none",
                ratio(mine[0] if mine else None, p50, higher_is_better=False),
                "speed-up at p50",
            )
        )
    rows.append(("worker peak RSS, MiB", peer["rss"], ours["rss"], "", "VmHWM after the round"))
    return f"round {r}\n" + format_table(
        ["measure", "django-helpdesk", "supportdesk", "ratio", "note"], rows
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="tickets in each system")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per creation load")
    parser.add_argument("--reads", type=int, default=30, help="requests per read scenario")
    parser.add_argument("--database", default=os.environ.get("OURS_DB", "sd_side_by_side"))
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument("--skip-prepare", action="store_true")
    args = parser.parse_args(argv)
    WARMUP["seconds"] = args.warmup
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.update(ours_env(args.database))
    setup_django()
    print_machine_info()
    print(f"size      {args.size:,} tickets each; {args.rounds} rounds; loads of {args.duration} s")
    if not args.skip_prepare:
        peer_prepare(args.size)
        ours_prepare(args.database, args.size)
    shell = [sys.executable, "manage.py", "shell", "-c", OURS_INFO]
    info = json.loads(sh(shell, env=ours_env(args.database)).strip().splitlines()[-1])
    pinfo = peer_info()
    for r in range(1, args.rounds + 1):
        peer = peer_round(r, args.duration, args.reads, pinfo)
        ours = ours_round(r, args.database, args.duration, args.reads, info)
        print()
        print(report(r, peer, ours), flush=True)
        (OUT / f"round_{r}.json").write_text(json.dumps({"peer": peer, "ours": ours}, indent=1))


if __name__ == "__main__":
    main()
