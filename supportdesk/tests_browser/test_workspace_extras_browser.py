"""Workspace extras in a real browser: an SLA matrix edit re-times an open ticket (with its
timeline event, in Russian and English), and a canned reply is inserted filled in and sent."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest

from supportdesk.portal.tests.helpers import sep_ticket
from supportdesk.regulations.models import SlaTarget
from supportdesk.sla import retime
from supportdesk.tests_browser.test_workspace_browser import sign_in
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.workspace.models import CannedReply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))


def sign_out(page) -> None:
    # The admin's pages have their own top bar: forget the session instead.
    page.context.clear_cookies()


def test_an_sla_matrix_edit_retimes_the_open_ticket_with_a_timeline_event(live_server, cast, page):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    ticket = sep_ticket(cast)
    before = Ticket.objects.get(pk=ticket.pk).reaction_due_at
    cell = SlaTarget.objects.get(level=ticket.level, priority=ticket.priority)
    hours = cell.reaction_minutes // 60

    sign_in(page, live_server.url, "admin@support.example")
    page.goto(f"{live_server.url}/admin/sla/slamatrix/{ticket.regulation_id}/change/")
    field = f"input[name=c{cell.level_id}_{cell.priority_id}_reaction_h]"
    assert page.input_value(field) == str(hours)
    page.fill(field, str(hours - 1))
    page.click("#sla-matrix-form input[name=_save]")
    preview = page.locator("#retime-preview")
    preview.wait_for()
    assert "1" in preview.inner_text()
    page.screenshot(path=SHOTS / "admin_sla_matrix_preview.png", full_page=True)
    page.click("#retime-preview button[name=confirm]")
    page.wait_for_selector(".messagelist .success, ul.messagelist li")
    assert SlaTarget.objects.get(pk=cell.pk).reaction_minutes == cell.reaction_minutes - 60

    # The background job (run here: the live server has no worker).
    assert retime.run_retime_jobs().retimed == 1
    after = Ticket.objects.get(pk=ticket.pk).reaction_due_at
    assert after is not None and before is not None and after < before
    sign_out(page)
    console_errors.clear()  # the admin's own pages are not ours to check

    sign_in(page, live_server.url, "engineer@support.example")
    page.goto(f"{live_server.url}/workspace/tickets/{ticket.number}/")
    event = page.locator("#timeline .event-deadlines_changed")
    assert "После изменения матрицы SLA" in event.inner_text()
    assert "Время реакции:" in event.inner_text()
    # The SLA card shows the stored deadline, as the queue does.
    stamp = after.astimezone(dt.UTC).isoformat()
    assert page.locator(f"#sla time[datetime='{stamp}']").count() == 1
    page.screenshot(path=SHOTS / "workspace_retimed.png", full_page=True)

    cast.engineer.language = "en"
    cast.engineer.save(update_fields=["language"])
    page.reload()
    event = page.locator("#timeline .event-deadlines_changed")
    assert "After the SLA matrix changed" in event.inner_text()
    assert "(target" in event.inner_text()
    assert console_errors == []


def test_a_canned_reply_is_inserted_filled_in_and_sent(live_server, cast, page):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    ticket = sep_ticket(cast)
    CannedReply.objects.create(
        title="Перезапуск службы",
        body="Здравствуйте, {customer_name}! По обращению {ticket_number} ({product}): "
        "перезапустите службу LiveUpdate.",
        language="ru",
        team=ticket.team,
    )
    CannedReply.objects.create(
        title="Restart the service",
        body="Hello {customer_name}, about {ticket_number}: please restart LiveUpdate.",
        language="en",
        regulation=ticket.regulation,
    )
    customer = cast.customer_alpha.get_full_name()

    sign_in(page, live_server.url, "engineer@support.example")
    page.goto(f"{live_server.url}/workspace/tickets/{ticket.number}/")
    page.click("form.take-form button[type=submit]")
    page.wait_for_selector(".alert-success")

    page.fill("#reply-form textarea[name=body]", "")
    picker = page.locator("#reply-form select.canned-select")
    picker.select_option(label="Перезапуск службы")
    text = page.input_value("#reply-form textarea[name=body]")
    assert text.startswith(f"Здравствуйте, {customer}! По обращению {ticket.number}")
    assert "{" not in text
    assert picker.input_value() == ""  # reset: the same reply can be inserted again
    # The English one goes after it, at the cursor.
    picker.select_option(label="Restart the service")
    text = page.input_value("#reply-form textarea[name=body]")
    assert text.endswith(f"Hello {customer}, about {ticket.number}: please restart LiveUpdate.")
    page.screenshot(path=SHOTS / "workspace_canned_reply.png", full_page=True)
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#timeline .event-public_reply")
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.PUBLIC_REPLY)
    assert reply.body.startswith(f"Здравствуйте, {customer}!")

    # The solution form has its own picker, filling its own textarea.
    page.locator("details.action-propose_solution > summary").click()
    page.locator(".action-propose_solution select.canned-select").select_option(
        label="Restart the service"
    )
    solution = page.input_value(".action-propose_solution textarea[name=body]")
    assert solution.startswith(f"Hello {customer}")
    assert console_errors == []
