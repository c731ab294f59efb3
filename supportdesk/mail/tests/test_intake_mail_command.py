"""``supportdesk intake_mail``: exit 0 when taken, 75 when the mail server should retry."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import OperationalError

from supportdesk.mail import intake
from supportdesk.mail.models import InboundMessage
from supportdesk.mail.tests.helpers import raw_message


class Stdin(io.BytesIO):
    @property
    def buffer(self):
        return self


def run(raw: bytes) -> int:
    try:
        call_command("intake_mail", stdin=Stdin(raw), stdout=io.StringIO())
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


@pytest.mark.django_db
def test_taken_message_exits_0_and_is_recorded(cast):
    raw = raw_message(sender="stranger@unknown.example")

    assert run(raw) == 0

    record = InboundMessage.objects.get()
    assert record.outcome == InboundMessage.Outcome.QUARANTINE
    assert bytes(record.raw) == raw
    assert record.sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.django_db
def test_database_down_exits_75_and_records_nothing(cast, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(intake, "decide", down)

    assert run(raw_message()) == 75
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_bug_in_processing_still_keeps_the_message(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(intake, "decide", broken)

    assert run(raw_message()) == 0
    record = InboundMessage.objects.get()
    assert record.outcome == InboundMessage.Outcome.QUARANTINE
    assert record.reason == InboundMessage.Reason.INTERNAL_ERROR
    assert "boom" in record.detail
