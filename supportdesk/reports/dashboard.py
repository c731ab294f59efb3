"""The manager dashboard's numbers: today's risk per team, the flow of tickets, SLA compliance,
business-time statistics and the load per engineer.

Each function is a fixed number of grouped queries served by indexes on the ticket's columns
(the open-queue index for the risk and the load; ``ticket_registered`` / ``ticket_closed`` for
the daily flow); only the business-time statistics read timelines, in chunks of
``STATS_CHUNK`` tickets, through ``sla.clock`` (the same timers as everywhere else).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate

from supportdesk.feedback.models import Rating
from supportdesk.sla import clock
from supportdesk.sla.models import SlaBreach
from supportdesk.tickets.models import Ticket, TicketState

STATS_CHUNK = 500
FLOW_DAYS = 90


def team_risk(
    tickets: QuerySet[Ticket], *, now: dt.datetime, end_of_today: dt.datetime
) -> list[dict]:
    """Per team: open, breached (a running deadline passed), at risk today (a deadline before
    the end of the viewer's day), unassigned, waiting for the customer. One query."""
    rows = (
        tickets.filter(closed_at__isnull=True)
        .values("team_id", "team__name")
        .annotate(
            open=Count("id"),
            breached=Count("id", filter=Q(sla_due_at__lte=now)),
            at_risk=Count("id", filter=Q(sla_due_at__gt=now, sla_due_at__lte=end_of_today)),
            unassigned=Count("id", filter=Q(owner__isnull=True)),
            waiting=Count("id", filter=Q(state=TicketState.WAITING_FOR_CUSTOMER)),
        )
        .order_by("team__name")
    )
    return list(rows)


def engineer_load(tickets: QuerySet[Ticket], *, now: dt.datetime) -> list[dict]:
    """Open tickets per owner, the breached among them. One query."""
    return list(
        tickets.filter(closed_at__isnull=True, owner__isnull=False)
        .values(
            "owner_id", "owner__user__first_name", "owner__user__last_name", "owner__user__email"
        )
        .annotate(open=Count("id"), breached=Count("id", filter=Q(sla_due_at__lte=now)))
        .order_by("-open", "owner__user__email")
    )


def daily_flow(
    tickets: QuerySet[Ticket], *, today: dt.date, zone: ZoneInfo, days: int = FLOW_DAYS
) -> dict[str, list]:
    """Opened and closed per day for the last ``days`` days (local days of ``zone``), zeros
    included. Two queries."""
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    opened = dict(
        tickets.filter(registered_at__gte=since)
        .annotate(day=TruncDate("registered_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    closed = dict(
        tickets.filter(closed_at__gte=since)
        .annotate(day=TruncDate("closed_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    return {
        "days": [d.isoformat() for d in dates],
        "opened": [opened.get(d, 0) for d in dates],
        "closed": [closed.get(d, 0) for d in dates],
    }


def _percent(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 1) if met + breached else None


def compliance(
    tickets: QuerySet[Ticket], *, start: dt.datetime, end: dt.datetime, by: str
) -> list[dict]:
    """SLA compliance of the tickets registered in [start, end), grouped ``by`` "regulation",
    "level" or "priority": per target, met in time, breached (a breach was recorded, met late
    or not), and the percentage met out of both. One query."""
    group = {
        "regulation": ("regulation__code", "regulation__name"),
        "level": ("regulation__code", "level__name"),
        "priority": ("regulation__code", "priority__name"),
    }[by]
    reaction_breach = SlaBreach.objects.filter(target=SlaBreach.Target.REACTION)
    resolution_breach = SlaBreach.objects.filter(target=SlaBreach.Target.RESOLUTION)
    rows = (
        tickets.filter(registered_at__gte=start, registered_at__lt=end)
        .values(*group)
        .annotate(
            tickets=Count("id"),
            reaction_breached=Count("id", filter=Q(id__in=reaction_breach.values("ticket_id"))),
            reaction_met=Count(
                "id",
                filter=Q(reaction_met_at__isnull=False)
                & ~Q(id__in=reaction_breach.values("ticket_id")),
            ),
            resolution_breached=Count("id", filter=Q(id__in=resolution_breach.values("ticket_id"))),
            resolution_met=Count(
                "id",
                filter=Q(resolution_met_at__isnull=False)
                & ~Q(id__in=resolution_breach.values("ticket_id")),
            ),
        )
        .order_by(*group)
    )
    result = []
    for row in rows:
        row["label"] = " · ".join(str(row[key]) for key in group)
        row["reaction_percent"] = _percent(row["reaction_met"], row["reaction_breached"])
        row["resolution_percent"] = _percent(row["resolution_met"], row["resolution_breached"])
        result.append(row)
    return result


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    p90: float | None


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None)
    ordered = sorted(values)
    # The nearest-rank 90th percentile: a value that occurred, not an interpolation.
    p90 = ordered[max(int(0.9 * len(ordered) + 0.999999) - 1, 0)]
    return Spread(len(ordered), round(statistics.median(ordered)), round(p90))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), STATS_CHUNK):
        yield ids[i : i + STATS_CHUNK]


def business_time_stats(
    tickets: QuerySet[Ticket], *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, Spread]:
    """First reaction and resolution in business minutes (median, p90) of the tickets
    registered in [start, end) whose timer stopped met: from each timeline, by ``sla.clock``."""
    ids = list(
        tickets.filter(registered_at__gte=start, registered_at__lt=end)
        .filter(Q(reaction_met_at__isnull=False) | Q(resolution_met_at__isnull=False))
        .order_by("id")
        .values_list("id", flat=True)
    )
    reaction: list[float] = []
    resolution: list[float] = []
    for chunk in _chunks(ids):
        batch = list(Ticket.objects.filter(pk__in=chunk))
        context = clock.load_context(batch)
        steps = clock.load_steps(chunk)
        for ticket in batch:
            ticket_clock = clock.ticket_clock(
                ticket, context=context, steps=steps.get(ticket.pk, []), now=now
            )
            for timer, values in (
                (ticket_clock.reaction, reaction),
                (ticket_clock.resolution, resolution),
            ):
                if timer is not None and timer.met_at is not None:
                    values.append(timer.consumed_minutes)
    return {"reaction": spread(reaction), "resolution": spread(resolution)}


SATISFACTION_GROUPS = {
    "engineer": ("ticket__owner__user__email",),
    "team": ("ticket__team__name",),
    "regulation": ("ticket__regulation__code",),
}


def satisfaction(
    tickets: QuerySet[Ticket], *, start: dt.datetime, end: dt.datetime, by: str
) -> list[dict]:
    """Ratings given in [start, end) per engineer (the ticket's owner), team or regulation:
    how many, the average score, and how many were 4 or 5. One query."""
    group = SATISFACTION_GROUPS[by]
    rows = (
        Rating.objects.filter(ticket__in=tickets, created_at__gte=start, created_at__lt=end)
        .values(*group)
        .annotate(
            count=Count("id"), average=Avg("score"), satisfied=Count("id", filter=Q(score__gte=4))
        )
        .order_by(*group)
    )
    return [
        {
            "label": row[group[0]] or "—",
            "count": row["count"],
            "average": round(row["average"], 2),
            "satisfied_percent": round(100 * row["satisfied"] / row["count"], 1),
        }
        for row in rows
    ]
