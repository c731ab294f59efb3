"""The SLA report as CSV and XLSX, safe to open in a spreadsheet.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is prefixed with an apostrophe (OWASP "CSV injection"): a
ticket subject is the customer's text. Numbers are written as numbers and are never negative
(lateness is its own column), so they need no escaping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from supportdesk.reports.sla_report import SlaReport, TargetResult

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Any) -> Cell:
    """The value as a cell: text that could start a formula is prefixed with an apostrophe."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def header() -> list[str]:
    return [
        _("Number"),
        _("Registered"),
        _("Priority"),
        _("State"),
        _("Subject"),
        _("Reaction target, min"),
        _("Reaction taken, min"),
        _("Reaction"),
        _("Reaction late, min"),
        _("Resolution target, min"),
        _("Resolution taken, min"),
        _("Resolution"),
        _("Resolution late, min"),
        _("Waits for the customer"),
        _("Waiting, min"),
    ]


def _target(result: TargetResult | None) -> list[Cell]:
    if result is None:
        return [None, None, "", None]
    return [
        result.target_minutes,
        result.taken_minutes,
        result.label,
        result.late_minutes,
    ]


def rows(report: SlaReport) -> Iterator[Sequence[Cell]]:
    """Header, one row per ticket, then the totals; every cell already escaped."""
    yield header()
    for row in report.rows:
        ticket = row.ticket
        cells: list[Any] = [
            ticket.number,
            ticket.registered_at.astimezone(report.zone).strftime("%Y-%m-%d %H:%M"),
            ticket.priority.display_name,
            ticket.get_state_display(),
            ticket.subject,
            *_target(row.reaction),
            *_target(row.resolution),
            row.pauses,
            row.paused_minutes,
        ]
        yield [safe_cell(cell) for cell in cells]
    totals = report.totals
    yield []
    yield [_("Tickets"), totals.tickets]
    yield [_("Reaction met / breached"), totals.reaction_met, totals.reaction_breached]
    yield [_("Resolution met / breached"), totals.resolution_met, totals.resolution_breached]
    yield [_("Reaction met, %"), totals.reaction_percent]
    yield [_("Resolution met, %"), totals.resolution_percent]


def filename(report: SlaReport, extension: str) -> str:
    support_id = "".join(c for c in report.contract.support_id if c.isalnum() or c in "-_")
    return f"sla-{support_id}-{report.month:%Y-%m}.{extension}"


def to_csv(report: SlaReport) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerows(rows(report))
    return stream.getvalue()


def to_xlsx(report: SlaReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{report.month:%Y-%m}"
    for cells in rows(report):
        sheet.append(cells)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
