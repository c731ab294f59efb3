"""The generator at a small scale: exact counts and every generated ticket consistent."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from bench.generate import generate
from supportdesk.accounts.models import Contact, Organization
from supportdesk.contracts.models import Contract
from supportdesk.tickets.models import Ticket, TicketEvent, TicketState

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def generated(db):
    return generate(tickets=200, orgs=10, seed=7, now=NOW, progress=False)


def test_exact_counts(generated, cast):
    assert generated.counts["tickets"] == 200
    assert generated.counts["organizations"] == 10
    assert Ticket.objects.count() == 200
    assert TicketEvent.objects.count() == generated.counts["events"]
    assert Organization.objects.filter(name__startswith="Generated org ").count() == 10
    assert (
        Contact.objects.filter(support_contact_id__startswith="GEN-SC").count()
        == (generated.counts["contacts"])
    )
    assert (
        Contract.objects.filter(support_id__startswith="GEN-S").count()
        == (generated.counts["contracts"])
    )
    # The big organization is the demo's alpha, with 10 % of the tickets.
    assert generated.big_org_id == cast.alpha.pk
    assert Ticket.objects.filter(organization=cast.alpha).count() == 20


def test_every_ticket_is_consistent(generated):
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 200
    assert all(re.fullmatch(r"GEN-\d{7}", n) for n in numbers)
    assert sorted(numbers) == [f"GEN-{n:07d}" for n in range(1, 201)]

    mismatched = Ticket.objects.exclude(
        organization_id=F("contract__organization_id"),
        contact__organization_id=F("organization_id"),
        regulation_id=F("contract__regulation_id"),
        level_id=F("contract__level_id"),
    )
    assert list(mismatched) == []
    # The product is covered by the contract; a license key belongs to the contract and product.
    for ticket in Ticket.objects.select_related("license_key"):
        assert ticket.contract.products.filter(pk=ticket.product_id).exists()
        if ticket.license_key is not None:
            assert ticket.license_key.contract_id == ticket.contract_id
            assert ticket.license_key.product_id == ticket.product_id
        assert ticket.registered_at <= NOW
        assert ticket.contract.valid_from <= timezone.localdate(ticket.registered_at) or (
            ticket.registered_at < NOW - datetime.timedelta(days=729)
        )

    closed = Ticket.objects.filter(state=TicketState.CLOSED)
    assert not closed.filter(Q(closed_at__isnull=True) | Q(close_reason="")).exists()
    assert not closed.filter(closed_at__lt=F("registered_at")).exists()
    open_tickets = Ticket.objects.exclude(state=TicketState.CLOSED)
    assert not open_tickets.filter(Q(closed_at__isnull=False) | ~Q(close_reason="")).exists()
    assert closed.exists() and open_tickets.exists()


def test_one_registered_event_per_ticket_and_ordered_timeline(generated):
    registered = Counter(
        TicketEvent.objects.filter(kind=TicketEvent.Kind.REGISTERED).values_list(
            "ticket_id", flat=True
        )
    )
    assert set(registered) == set(Ticket.objects.values_list("pk", flat=True))
    assert set(registered.values()) == {1}

    first_events = Ticket.objects.annotate(n=Count("events")).filter(n__lt=1)
    assert not first_events.exists()
    for ticket in Ticket.objects.prefetch_related("events"):
        events = sorted(ticket.events.all(), key=lambda e: (e.created_at, e.pk))
        assert events[0].kind == TicketEvent.Kind.REGISTERED
        assert events[0].created_at == ticket.registered_at
        if ticket.state == TicketState.CLOSED:
            assert events[-1].kind == TicketEvent.Kind.STATE_CHANGED
            assert events[-1].data["to"] == "closed"
            assert events[-1].created_at == ticket.closed_at
        assert all(e.created_at <= NOW for e in events)
    # Internal notes are marked internal and nothing else is.
    assert not TicketEvent.objects.filter(kind="internal_note", is_internal=False).exists()
    assert not TicketEvent.objects.exclude(kind="internal_note").filter(is_internal=True).exists()


class _Rollback(Exception):
    pass


def _snapshot() -> list[tuple]:
    return list(
        Ticket.objects.order_by("number").values_list(
            "number", "state", "channel", "priority__code", "registered_at", "contact__user__email"
        )
    )


def test_same_seed_same_data(db):
    snapshots = []
    for _ in range(2):
        try:
            with transaction.atomic():
                generate(tickets=60, orgs=3, seed=3, now=NOW, progress=False)
                snapshots.append(_snapshot())
                raise _Rollback
        except _Rollback:
            pass
    assert len(snapshots[0]) == 60
    assert snapshots[0] == snapshots[1]


def test_rerun_continues_numbering(generated):
    first = list(Ticket.objects.order_by("number").values_list("state", "priority_id", "channel"))
    again = generate(tickets=50, orgs=2, seed=7, now=NOW, progress=False)
    assert again.counts["tickets"] == 50
    assert Ticket.objects.count() == 250
    assert Ticket.objects.filter(number="GEN-0000250").exists()
    # A run never changes what an earlier run generated.
    assert (
        list(
            Ticket.objects.filter(number__lte="GEN-0000200")
            .order_by("number")
            .values_list("state", "priority_id", "channel")
        )
        == first
    )
