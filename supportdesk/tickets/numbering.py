"""Ticket numbers: unique, increasing in commit order, per period (``TICKET_NUMBER_FORMAT``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from supportdesk.tickets.models import TicketNumberSequence


def next_ticket_number(*, now: dt.datetime) -> str:
    """The next number of the period. Call inside the registration's transaction.

    The UPDATE takes the row lock until commit (PostgreSQL) or the write lock is already held
    (SQLite, IMMEDIATE transactions), so numbers are unique and increase in commit order.
    """
    fmt = settings.TICKET_NUMBER_FORMAT
    year = now.astimezone(timezone.get_default_timezone()).year
    period = str(year) if "{year}" in fmt else "all"
    TicketNumberSequence.objects.bulk_create(
        [TicketNumberSequence(period=period)], ignore_conflicts=True
    )
    TicketNumberSequence.objects.filter(period=period).update(last_value=F("last_value") + 1)
    value = TicketNumberSequence.objects.values_list("last_value", flat=True).get(period=period)
    return fmt.format(year=year, seq=value)
