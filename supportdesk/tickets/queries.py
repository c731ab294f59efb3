"""The read side every interface shares: the ticket for a page, list pages with one keyset
cursor format, the SLA queue with its filters and counters, and the pieces a ticket page shows
beside the timeline."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from supportdesk import access
from supportdesk.accounts.models import Team, User
from supportdesk.tickets.models import (
    DiagnosticsRequestItem,
    PriorityProposal,
    Ticket,
    TicketState,
)

PAGE_SIZE = 25

# What a ticket page shows of the ticket's relations, joined in its one lookup.
TICKET_PAGE_RELATED = (
    "organization",
    "contact__user",
    "contract",
    "license_key",
    "level",
    "regulation",
    "product",
    "priority",
    "owner__user",
    "team",
    "work_method",
    "split_from",
    "merged_into",
)


def ticket_for_page(user: User, number: str) -> Ticket:
    """The ticket by number with what its page shows, if ``user`` may see it (404 otherwise)."""
    return access.access_ticket(user, number, related=TICKET_PAGE_RELATED)


# --- Keyset cursors -------------------------------------------------------------------------
# One opaque, URL-safe format for every list: "<microseconds since the epoch>_<id>", or "_<id>"
# for a row without a value (the queue's tickets without a running deadline).

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURSOR = re.compile(r"(-?\d{1,18})?_(\d{1,18})", re.ASCII)


def encode_cursor(value: dt.datetime | None, pk: int) -> str:
    if value is None:
        return f"_{pk}"
    return f"{(value - EPOCH) // dt.timedelta(microseconds=1)}_{pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime | None, int] | None:
    """The position a cursor names, or None for anything that is not a cursor we made."""
    match = _CURSOR.fullmatch(cursor or "")
    if match is None:
        return None
    micros, pk = match.groups()
    if micros is None:
        return None, int(pk)
    try:
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


def newest_first_page(
    tickets: QuerySet[Ticket], cursor: str, size: int = PAGE_SIZE
) -> tuple[list[Ticket], str | None]:
    """One page of tickets, newest first, after ``cursor``; and the cursor of the next page.

    Keyset (registered_at, id) instead of OFFSET/COUNT keeps the cost of a page constant however
    many tickets there are; the indexes on (…, -registered_at, -id) match the order. A cursor
    that is not one of ours reads as the first page.
    """
    tickets = tickets.order_by("-registered_at", "-id")
    after = decode_cursor(cursor)
    if after is not None and after[0] is not None:
        moment, pk = after
        # The redundant bound lets PostgreSQL start the index scan at the cursor instead of
        # filtering every newer row out (bench/README.md).
        tickets = tickets.filter(registered_at__lte=moment).filter(
            Q(registered_at__lt=moment) | Q(registered_at=moment, id__lt=pk)
        )
    rows = list(tickets[: size + 1])
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], encode_cursor(last.registered_at, last.pk)


def sla_queue_page(
    tickets: QuerySet[Ticket], cursor: str, size: int = PAGE_SIZE
) -> tuple[list[Ticket], str | None]:
    """One page of open tickets, nearest SLA deadline first, and the cursor of the next page.

    Order: (sla_due_at, id) with tickets without a running deadline (paused, met) last. Read as
    two ranges, dated then undated, so each is one range of the partial index
    ``ticket_team_sla_queue`` (team, sla_due_at, id) WHERE closed_at IS NULL: at most two
    queries per page, however long the queue (docs/workspace.md).
    """
    after = decode_cursor(cursor)
    rows: list[Ticket] = []
    if after is None or after[0] is not None:
        dated = tickets.filter(sla_due_at__isnull=False).order_by("sla_due_at", "id")
        if after is not None:
            due, pk = after
            # The redundant lower bound starts the index scan at the cursor.
            dated = dated.filter(sla_due_at__gte=due).filter(
                Q(sla_due_at__gt=due) | Q(sla_due_at=due, id__gt=pk)
            )
        rows = list(dated[: size + 1])
    if len(rows) <= size:
        undated = tickets.filter(sla_due_at__isnull=True).order_by("id")
        if after is not None and after[0] is None:
            undated = undated.filter(id__gt=after[1])
        rows += list(undated[: size + 1 - len(rows)])
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], encode_cursor(last.sla_due_at, last.pk)


# --- Beside the timeline --------------------------------------------------------------------


def pending_proposal(ticket: Ticket) -> PriorityProposal | None:
    """The priority change waiting for the other side's answer, if any."""
    return (
        ticket.priority_proposals.filter(state=PriorityProposal.State.PENDING)
        .select_related("from_priority", "to_priority", "proposed_by")
        .first()
    )


def open_diagnostics_items(ticket: Ticket) -> list[DiagnosticsRequestItem]:
    """The items of the open diagnostics request the customer has not sent yet."""
    request = ticket.diagnostics_requests.filter(answered_at__isnull=True).order_by("-id").first()
    return list(request.items.filter(done=False)) if request is not None else []


# --- The queue: filters and counters --------------------------------------------------------

BREACHED = "breached"
AT_RISK = "at_risk"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows, as chosen in its URL (the workspace parses and validates it).

    ``risk``: ``breached`` (the nearest deadline has passed) or ``at_risk`` (it passes before
    ``day_end``, the end of the viewer's day: "what breaches today").
    """

    closed: bool = False
    team_id: int | None = None
    owner_id: int | None = None
    unassigned: bool = False
    regulation_id: int | None = None
    priority_id: int | None = None
    organization_id: int | None = None
    state: str = ""
    risk: str = ""


def filter_queue(
    tickets: QuerySet[Ticket], chosen: QueueFilter, *, now: dt.datetime, day_end: dt.datetime
) -> QuerySet[Ticket]:
    """``tickets`` narrowed to what ``chosen`` asks for (open or closed ones by ``closed``)."""
    tickets = tickets.filter(closed_at__isnull=not chosen.closed)
    exact = {
        "team_id": chosen.team_id,
        "owner_id": chosen.owner_id,
        "regulation_id": chosen.regulation_id,
        "priority_id": chosen.priority_id,
        "organization_id": chosen.organization_id,
        "state": chosen.state or None,
    }
    tickets = tickets.filter(**{name: value for name, value in exact.items() if value is not None})
    if chosen.unassigned:
        tickets = tickets.filter(owner__isnull=True)
    if chosen.risk == BREACHED:
        tickets = tickets.filter(sla_due_at__lte=now)
    elif chosen.risk == AT_RISK:
        tickets = tickets.filter(sla_due_at__gt=now, sla_due_at__lte=day_end)
    return tickets


@dataclass(frozen=True)
class TeamCounters:
    team: Team
    breached: int
    at_risk: int
    unassigned: int
    waiting: int


def _open_count(**conditions: object) -> Coalesce:
    counted = (
        Ticket.objects.filter(team=OuterRef("pk"), closed_at__isnull=True, **conditions)
        .order_by()
        .values("team")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def team_counters(
    teams: QuerySet[Team], *, now: dt.datetime, day_end: dt.datetime
) -> list[TeamCounters]:
    """Per team, its open tickets breached, at risk before ``day_end``, unassigned and waiting
    for the customer: one statement, each count a range of a partial index on open tickets."""
    rows = teams.order_by("name").annotate(
        n_breached=_open_count(sla_due_at__lte=now),
        n_at_risk=_open_count(sla_due_at__gt=now, sla_due_at__lte=day_end),
        n_unassigned=_open_count(owner__isnull=True),
        n_waiting=_open_count(state=TicketState.WAITING_FOR_CUSTOMER),
    )
    return [
        TeamCounters(
            team=row,
            breached=row.n_breached,
            at_risk=row.n_at_risk,
            unassigned=row.n_unassigned,
            waiting=row.n_waiting,
        )
        for row in rows
    ]
