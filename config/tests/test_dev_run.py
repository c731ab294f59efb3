"""``./dev run`` as a person runs it: its own data dir and port, the page answering, then stopped.

It is started for real (install, migrate, load step, worker, gunicorn) in a session of its own, so
that every process it starts can be found afterwards: stopping it must leave none. It does not use
the test database, so ``./dev test`` runs it once, in the SQLite pass (marker ``dev_run``).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from supportdesk.accounts.models import User
from supportdesk.regulations.models import Priority, Regulation, SlaTarget, SupportLevel

pytestmark = pytest.mark.dev_run

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 300  # install, migrate and the demo on a busy 2-core machine take about 25 s
STOP_TIMEOUT = 60

# The environment of the test run must not leak into ./dev run: it would use the test database,
# a broker or the test's mail backend.
NOT_INHERITED = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "SITE_URL",
    "HOST",
    "SQLITE_TEST_NAME",
    "DJANGO_SETTINGS_MODULE",
    "SUPPORTDESK_DATA_DIR",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def running() -> dict[int, list[str]]:
    """Every live process (zombies are dead, only not yet reaped) with its stat fields."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := proc_stat(int(entry.name))) and fields[0] != "Z":
            table[int(entry.name)] = fields
    return table


def identity(pid: int, fields: list[str]) -> tuple[int, str]:
    """pid and start time: a pid reused by an unrelated process is not the one we saw."""
    return pid, fields[19]


def descendants(root: int) -> dict[tuple[int, str], str]:
    """The processes below ``root``, by identity, with their command lines."""
    table = running()
    children: dict[int, list[int]] = {}
    for pid, fields in table.items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except FileNotFoundError:
            continue
        found[identity(pid, table[pid])] = cmdline
        todo.extend(children.get(pid, []))
    return found


def left_over(seen: dict[tuple[int, str], str], session: int) -> list[str]:
    table = running()
    alive = [
        cmdline
        for (pid, started), cmdline in seen.items()
        if pid in table and identity(pid, table[pid])[1] == started
    ]
    alive += [f"pid {pid} in the session" for pid, f in table.items() if int(f[3]) == session]
    return alive


class DevRun:
    def __init__(self, data_dir: Path, log: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.log = log
        environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        environment.update(
            SUPPORTDESK_DATA_DIR=str(data_dir),
            PORT=str(self.port),
            WEB_WORKERS="1",
            # The fast password hasher of the tests: the demo's eleven logins hash in no time.
            SUPPORTDESK_TESTING="1",
            **env,
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(ROOT / "dev"), "run", *args],
                cwd=ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group and session of its own, as a terminal's
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_the_page_answers(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"./dev run ended ({self.process.returncode}):\n{self.output[-3000:]}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/accounts/login/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.5)
        self.process.kill()
        pytest.fail(f"./dev run did not answer in {STARTUP_TIMEOUT} s:\n{self.output[-3000:]}")

    def stop(self, how: str) -> dict[tuple[int, str], str]:
        """Stop it as ``how`` says; return the processes it had started."""
        seen = descendants(self.process.pid)
        commands = " ".join(seen.values())
        assert "runworker" in commands, commands
        assert "gunicorn" in commands, commands
        if how == "SIGTERM":  # a process manager, or kill
            self.process.send_signal(signal.SIGTERM)
        else:  # Ctrl-C: the terminal signals its whole foreground process group
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail(f"./dev run did not stop on {how}:\n{self.output[-3000:]}")
        return seen


def stale_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE stale (what TEXT)")


def essential_p2_reaction(path: Path, minutes: int | None = None) -> int:
    """Reads (or sets) the reaction target of regulation 000, Essential, P2 in ./dev run's file."""
    query = f"""
        SELECT t.id, t.reaction_minutes FROM {SlaTarget._meta.db_table} t
        JOIN {Regulation._meta.db_table} r ON r.id = t.regulation_id
        JOIN {SupportLevel._meta.db_table} l ON l.id = t.level_id
        JOIN {Priority._meta.db_table} p ON p.id = t.priority_id
        WHERE r.code = '000' AND l.code = 'essential' AND p.code = 'p2'
    """
    with sqlite3.connect(path) as db:
        [(pk, value)] = db.execute(query).fetchall()
        if minutes is not None:
            db.execute(
                f"UPDATE {SlaTarget._meta.db_table} SET reaction_minutes = ? WHERE id = ?",
                (minutes, pk),
            )
    return value


def languages(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute(f"SELECT email, language FROM {User._meta.db_table}").fetchall())


def test_reset_then_a_second_run_keeps_the_data_and_both_stop_cleanly(tmp_path):
    data = tmp_path / "data"
    (data / "attachments").mkdir(parents=True)
    (data / "attachments" / "old.txt").write_text("from the last demo")
    database = data / "supportdesk.sqlite3"
    stale_database(database)

    first = DevRun(data, tmp_path / "first.log", "--reset")
    first.wait_until_the_page_answers()
    seen = first.stop("SIGTERM")

    assert first.process.returncode == 0, first.output[-3000:]
    assert left_over(seen, first.process.pid) == []
    assert "admin@support.example" in first.output  # the demo was loaded, its logins printed
    assert not (data / "attachments" / "old.txt").exists()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'stale'").fetchall() == []
    assert essential_p2_reaction(database) == 240
    assert languages(database)["ivan@alpha.example"] == "ru"

    # An administrator's SLA edit and a user's language choice, made while it was stopped.
    essential_p2_reaction(database, minutes=180)
    with sqlite3.connect(database) as db:
        db.execute(
            f"UPDATE {User._meta.db_table} SET language = 'en' WHERE email = 'ivan@alpha.example'"
        )

    second = DevRun(data, tmp_path / "second.log")
    second.wait_until_the_page_answers()
    seen = second.stop("SIGINT")

    assert second.process.returncode == 0, second.output[-3000:]
    assert left_over(seen, second.process.pid) == []
    assert "./dev run --reset" in second.output  # the load step said why it loaded nothing
    assert "admin@support.example" not in second.output
    assert essential_p2_reaction(database) == 180
    assert languages(database)["ivan@alpha.example"] == "en"


def test_reset_refuses_a_database_it_does_not_own(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    environment.update(
        SUPPORTDESK_DATA_DIR=str(data), DATABASE_URL="postgres://nobody@127.0.0.1:9/production"
    )

    result = subprocess.run(
        [str(ROOT / "dev"), "run", "--reset"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "--reset starts over only the embedded SQLite database" in result.stderr
    assert list(data.iterdir()) == []


def test_an_unknown_option_is_refused(tmp_path):
    result = subprocess.run(
        [str(ROOT / "dev"), "run", "--rest"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "unknown option --rest (usage: ./dev run [--reset])" in result.stderr
