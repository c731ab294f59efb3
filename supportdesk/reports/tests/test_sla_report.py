import datetime
import io

import pytest
from openpyxl import load_workbook

from supportdesk import access
from supportdesk.reports import exports
from supportdesk.reports.sla_report import BREACHED, MET, RUNNING, month_bounds, sla_report
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.registration import RegistrationRequest, register_ticket
from supportdesk.tickets.tests.helpers import NOW

HOUR = datetime.timedelta(hours=1)
NOVEMBER = datetime.date(2026, 11, 1)


def month_of_tickets(cast):
    """Three SEP tickets in November 2026 (Monday 23rd, 12:30 Moscow) and one in December."""
    fields = {
        "channel": "portal",
        "requested_by": cast.customer_alpha,
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "description": "Details.",
    }

    def register(subject, at):
        return register_ticket(request=RegistrationRequest(subject=subject, **fields), now=at)

    answered = register("Answered and solved", NOW)
    actions.take_ticket(ticket=answered, actor=cast.engineer, now=NOW + HOUR)
    actions.request_diagnostics(
        ticket=answered,
        actor=cast.engineer,
        items=[RequestedItem("logs")],
        now=NOW + 2 * HOUR,
    )
    actions.add_customer_reply(
        ticket=answered, actor=cast.customer_alpha, body="Here", now=NOW + 3 * HOUR
    )
    actions.propose_solution(
        ticket=answered, actor=cast.engineer, body="Update", now=NOW + 4 * HOUR
    )
    silent = register('=HYPERLINK("http://evil")', NOW)
    fresh = register("Registered last", NOW + 100 * HOUR)
    register("December", datetime.datetime(2026, 11, 30, 21, 0, tzinfo=datetime.UTC))
    return answered, silent, fresh


def test_month_bounds_follow_the_calendar_time_zone():
    from zoneinfo import ZoneInfo

    start, end = month_bounds(NOVEMBER, ZoneInfo("Europe/Moscow"))
    assert start == datetime.datetime(2026, 10, 31, 21, 0, tzinfo=datetime.UTC)
    assert end == datetime.datetime(2026, 11, 30, 21, 0, tzinfo=datetime.UTC)


def test_the_report_reads_targets_time_taken_pauses_and_breaches_from_the_timeline(cast):
    answered, silent, fresh = month_of_tickets(cast)
    contract = answered.contract
    now = NOW + 101 * HOUR

    report = sla_report(
        contract=contract, month=NOVEMBER, now=now, visible=access.visible_tickets(cast.manager)
    )

    rows = {row.ticket.number: row for row in report.rows}
    assert list(rows) == [answered.number, silent.number, fresh.number]  # not December's
    first = rows[answered.number]
    assert first.reaction is not None and first.resolution is not None
    # The diagnostics request at +2 h is the first response: two business hours (Mon 12:30-14:30).
    assert (first.reaction.taken_minutes, first.reaction.status) == (120, MET)
    # Resolution ran 2 h, waited 1 h for the customer, ran 1 h more until the proposal.
    assert (first.resolution.taken_minutes, first.resolution.status) == (180, MET)
    assert (first.pauses, first.paused_minutes) == (1, 60)
    second = rows[silent.number]
    assert second.reaction is not None
    assert second.reaction.status == BREACHED
    late = second.reaction.taken_minutes - second.reaction.target_minutes
    assert second.reaction.late_minutes == late > 0
    third = rows[fresh.number].reaction
    assert third is not None and third.status == RUNNING
    assert (report.totals.tickets, report.totals.reaction_met, report.totals.reaction_breached) == (
        3,
        1,
        1,
    )
    assert report.totals.reaction_percent == 50.0


def test_exports_escape_formulas_and_keep_numbers(cast):
    answered, _silent, _fresh = month_of_tickets(cast)
    report = sla_report(
        contract=answered.contract,
        month=NOVEMBER,
        now=NOW + 300 * HOUR,
        visible=access.visible_tickets(cast.manager),
    )
    text = exports.to_csv(report)
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(report))).active
    subjects = [row[4] for row in sheet.iter_rows(min_row=2, max_row=3, values_only=True)]
    assert subjects == ["Answered and solved", '\'=HYPERLINK("http://evil")']
    assert sheet.cell(row=2, column=7).value == 120  # a number, not text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+7 495", "'+7 495"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        (42, 42),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert exports.safe_cell(value) == expected
