"""Ticket numbers stay unique and increasing when registrations run at the same time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from supportdesk.tickets.models import Ticket
from supportdesk.tickets.numbering import NEXT_VALUE_SQL, SEQUENCE_TABLE
from supportdesk.tickets.registration import register_ticket
from supportdesk.tickets.tests.test_registration import sep_request

THREADS = 6
PER_THREAD = 5


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_get_unique_increasing_numbers(cast):
    request = sep_request(cast)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                register_ticket(request=request)
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = list(Ticket.objects.order_by("id").values_list("number", flat=True))
    total = THREADS * PER_THREAD
    assert len(numbers) == total
    assert numbers == [f"SD-{n.split('-')[1]}-{i:06d}" for i, n in enumerate(numbers, start=1)]
    assert len(set(numbers)) == total


def test_the_upsert_names_the_sequence_table():
    assert SEQUENCE_TABLE == "tickets_ticketnumbersequence"
    assert SEQUENCE_TABLE in NEXT_VALUE_SQL
