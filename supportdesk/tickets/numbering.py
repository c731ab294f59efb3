"""Ticket numbers: unique, increasing in commit order, per period (``TICKET_NUMBER_FORMAT``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

from supportdesk.tickets.models import TicketNumberSequence

# An upsert with RETURNING (PostgreSQL 9.5+, SQLite 3.35+): one statement where the ORM takes
# three. The table is TicketNumberSequence's (a test checks the name).
NEXT_VALUE_SQL = (
    "INSERT INTO tickets_ticketnumbersequence (period, last_value) VALUES (%s, 1) "
    "ON CONFLICT (period) DO UPDATE "
    "SET last_value = tickets_ticketnumbersequence.last_value + 1 "
    "RETURNING last_value"
)
SEQUENCE_TABLE = TicketNumberSequence._meta.db_table


def next_ticket_number(*, now: dt.datetime) -> str:
    """The next number of the period. Call inside the registration's transaction.

    One statement creates the period's row or increments it and returns the new value. It takes
    the row lock until commit (PostgreSQL) or the write lock is already held (SQLite, IMMEDIATE
    transactions), so numbers are unique and increase in commit order.
    """
    fmt = settings.TICKET_NUMBER_FORMAT
    year = now.astimezone(timezone.get_default_timezone()).year
    period = str(year) if "{year}" in fmt else "all"
    with connection.cursor() as cursor:
        cursor.execute(NEXT_VALUE_SQL, [period])
        (value,) = cursor.fetchone()
    return fmt.format(year=year, seq=value)
