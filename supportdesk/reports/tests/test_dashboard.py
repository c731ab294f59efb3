import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.reports import dashboard
from supportdesk.reports.dashboard import Spread, spread
from supportdesk.sla.sweep import sweep_sla
from supportdesk.tickets import actions
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.tests.helpers import NOW, ngfw_ticket, sep_ticket

HOUR = datetime.timedelta(hours=1)
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def test_team_risk_counts_breached_at_risk_unassigned_and_waiting(cast):
    breached, at_risk, owned = sep_ticket(cast), sep_ticket(cast), sep_ticket(cast)
    now = NOW
    Ticket.objects.filter(pk=breached.pk).update(sla_due_at=now - HOUR)
    Ticket.objects.filter(pk=at_risk.pk).update(sla_due_at=now + HOUR)
    Ticket.objects.filter(pk=owned.pk).update(
        sla_due_at=now + 48 * HOUR, owner=cast.engineer.agent, state="waiting_for_customer"
    )
    rows = dashboard.team_risk(Ticket.objects.all(), now=now, end_of_today=now + 10 * HOUR)
    assert len(rows) == 1
    row = rows[0]
    assert (row["open"], row["breached"], row["at_risk"], row["unassigned"], row["waiting"]) == (
        3,
        1,
        1,
        2,
        1,
    )
    load = dashboard.engineer_load(Ticket.objects.all(), now=now)
    assert [(r["owner__user__email"], r["open"]) for r in load] == [(cast.engineer.email, 1)]


def test_daily_flow_counts_local_days_with_zeros(cast):
    first = sep_ticket(cast)
    Ticket.objects.filter(pk=first.pk).update(
        registered_at=datetime.datetime(2026, 11, 20, 22, 0, tzinfo=datetime.UTC)  # 21st Moscow
    )
    second = sep_ticket(cast)
    Ticket.objects.filter(pk=second.pk).update(
        registered_at=datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC),
        closed_at=datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC),
        state="closed",
    )
    flow = dashboard.daily_flow(
        Ticket.objects.all(), today=datetime.date(2026, 11, 23), zone=MOSCOW, days=4
    )
    assert flow == {
        "days": ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"],
        "opened": [0, 1, 1, 0],
        "closed": [0, 0, 0, 1],
    }


def test_compliance_and_business_time_from_met_and_breached_targets(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    quick = sep_ticket(cast)
    actions.take_ticket(ticket=quick, actor=cast.engineer, now=NOW + HOUR)
    actions.add_public_reply(ticket=quick, actor=cast.engineer, body="On it", now=NOW + HOUR)
    slow = ngfw_ticket(cast)
    actions.take_ticket(ticket=slow, actor=cast.engineer, now=NOW + 30 * HOUR)
    actions.add_public_reply(ticket=slow, actor=cast.engineer, body="Late", now=NOW + 30 * HOUR)
    sweep_sla(now=NOW + 31 * HOUR)  # records the NGFW ticket's reaction breach
    start, end = NOW - HOUR, NOW + HOUR
    rows = dashboard.compliance(Ticket.objects.all(), start=start, end=end, by="regulation")
    by_code = {row["regulation__code"]: row for row in rows}
    assert (by_code["000"]["reaction_met"], by_code["000"]["reaction_breached"]) == (1, 0)
    assert (by_code["002"]["reaction_met"], by_code["002"]["reaction_breached"]) == (0, 1)
    assert by_code["000"]["reaction_percent"] == 100.0
    assert by_code["002"]["reaction_percent"] == 0.0
    stats = dashboard.business_time_stats(
        Ticket.objects.all(), start=start, end=end, now=NOW + 31 * HOUR
    )
    assert stats["reaction"].count == 2
    p90 = stats["reaction"].p90
    assert p90 is not None and p90 >= 60


def test_spread_uses_the_nearest_rank_percentile():
    assert spread([]) == Spread(0, None, None)
    assert spread([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == Spread(10, 55, 90)
    assert spread([5]) == Spread(1, 5, 5)


def page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/workspace/dashboard/", {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    assert response.context["stats"]["reaction"].count > 0  # the timelines were read
    return len(queries)


@pytest.mark.django_db
def test_the_dashboard_page_has_a_fixed_query_budget(client, cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(cast.manager)
    first = sep_ticket(cast)
    actions.take_ticket(ticket=first, actor=cast.engineer, now=NOW)
    actions.add_public_reply(ticket=first, actor=cast.engineer, body="On it", now=NOW)
    few = page_queries(client)
    for _ in range(5):
        ticket = ngfw_ticket(cast)
        actions.take_ticket(ticket=ticket, actor=cast.engineer, now=NOW)
        actions.add_public_reply(ticket=ticket, actor=cast.engineer, body="On it", now=NOW)
    assert page_queries(client) == few


def test_only_managers_see_the_dashboard(client, cast):
    client.force_login(cast.engineer)
    assert client.get("/workspace/dashboard/").status_code == 403
    client.force_login(cast.customer_alpha)
    assert client.get("/workspace/dashboard/").status_code == 403
    client.force_login(cast.manager)
    response = client.get("/workspace/dashboard/", {"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 400


def test_satisfaction_per_engineer_team_and_regulation(cast):
    from supportdesk.feedback.models import Rating

    first, second = sep_ticket(cast), sep_ticket(cast)
    Ticket.objects.filter(pk__in=[first.pk, second.pk]).update(owner=cast.engineer.agent)
    for ticket, score in ((first, 5), (second, 2)):
        Rating.objects.create(
            ticket=ticket,
            score=score,
            rated_by=cast.customer_alpha,
            source="portal",
            created_at=NOW,
        )
    start, end = NOW - HOUR, NOW + HOUR
    rows = dashboard.satisfaction(Ticket.objects.all(), start=start, end=end, by="engineer")
    assert rows == [
        {"label": cast.engineer.email, "count": 2, "average": 3.5, "satisfied_percent": 50.0}
    ]
    by_regulation = dashboard.satisfaction(
        Ticket.objects.all(), start=start, end=end, by="regulation"
    )
    assert [(r["label"], r["count"]) for r in by_regulation] == [("000", 2)]
    assert dashboard.satisfaction(Ticket.objects.all(), start=end, end=end + HOUR, by="team") == []
