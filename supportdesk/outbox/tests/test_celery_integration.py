"""Production wiring end to end: a real Celery worker, real Redis, real SMTP on loopback.

The worker is another process, so it must reach the test database: PostgreSQL (DATABASE_URL) or
the SQLite file config/settings.py gives tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

import config.celery
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.tasks import deliver_outbox
from supportdesk.outbox.tests.test_smtp import SMTPSink, enqueue

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
# Generous: on a loaded 2-core machine the worker alone takes most of a minute to start.
WAIT_SECONDS = 180


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}). This test needs a real broker: "
            "start Redis (`redis-server`, or `docker run -p 6379:6379 redis:7`) "
            "or point REDIS_URL at one."
        )
    return REDIS_URL


@pytest.fixture
def queue(redis_url):
    """A queue of our own, so a stray worker on the same Redis cannot take the task."""
    name = f"test-outbox-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    client.delete(name, f"_kombu.binding.{name}")


@pytest.fixture
def smtp_server():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def celery_app(redis_url):
    """The project's Celery app, publishing to the test broker for the duration of the test."""
    app = config.celery.app
    saved = app.conf.broker_url
    app.close()
    app.conf.broker_url = redis_url
    yield app
    app.close()  # drops the pooled broker connections made with the test URL
    app.conf.broker_url = saved


def worker_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    raise AssertionError(f"no DATABASE_URL for a {connection.vendor} test database")


def start_worker(*, queue: str, broker_url: str, email_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SUPPORTDESK_TESTING": "1",
        "DATABASE_URL": worker_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": email_url,
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "config", "worker"),
        *("--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"),
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_outbox_through_redis_and_smtp(
    request, tmp_path, redis_url, queue, smtp_server, celery_app
):
    # SQLite's connection alone has is_in_memory_db().
    in_memory = getattr(connection, "is_in_memory_db", lambda: False)()
    assert not in_memory, (
        "the worker cannot open an in-memory test database: config/settings.py gives SQLite "
        "tests a file (SQLITE_TEST_NAME)"
    )

    message = enqueue()
    log = tmp_path / "worker.log"
    worker = start_worker(queue=queue, broker_url=redis_url, email_url=smtp_server.url, log=log)
    try:
        deliver_outbox.apply_async(queue=queue)  # .delay(), on the test's own queue

        deadline = time.monotonic() + WAIT_SECONDS
        message.refresh_from_db()
        while message.state != OutboxMessage.State.SENT and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker died:\n" + log.read_text()[-4000:]
            time.sleep(0.1)
            message.refresh_from_db()
        assert message.state == OutboxMessage.State.SENT, log.read_text()[-4000:]
    finally:
        stop_worker(worker)

    [received] = smtp_server.wait_for(1)
    assert received["Message-ID"] == message.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert list(message.deliveries.values_list("success", flat=True)) == [True]
