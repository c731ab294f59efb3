"""An engineer works a request in a real browser; the customer sees the reply, never the note."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from supportdesk.portal.tests.helpers import sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import TicketEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))
NOTE = "Licence pool is exhausted, ask sales"


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")


def test_engineer_replies_and_notes_the_customer_sees_only_the_reply(live_server, cast, page):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    ticket = sep_ticket(cast)

    sign_in(page, live_server.url, "engineer@support.example")
    page.wait_for_url(f"{live_server.url}/workspace/")
    page.click(f"table.grid a:text('{ticket.number}')")
    page.wait_for_url(f"{live_server.url}/workspace/tickets/{ticket.number}/")
    page.click("form.take-form button[type=submit]")
    page.wait_for_selector(".alert-success")

    # Both go through htmx: the timeline grows in place, the form is emptied.
    page.fill("#reply-form textarea[name=body]", "Please restart the LiveUpdate service.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#timeline .event-public_reply")
    page.fill("#note-form textarea[name=body]", NOTE)
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#timeline .event-internal")
    assert page.input_value("#note-form textarea[name=body]") == ""
    assert page.locator("#timeline .event-internal .badge.internal").count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, is_internal=True).get().body == NOTE
    page.locator("details.action-request_diagnostics > summary").click()
    page.screenshot(path=SHOTS / "workspace_ticket.png", full_page=True)

    page.click(".topbar form.logout button")
    page.wait_for_load_state("load")
    sign_in(page, live_server.url, "ivan@alpha.example")
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    timeline = page.locator("#timeline").inner_text()
    assert "Please restart the LiveUpdate service." in timeline
    assert NOTE not in page.content()
    page.screenshot(path=SHOTS / "portal_ticket_actions.png", full_page=True)

    # The engineer asks for diagnostics: the customer's form lists the items, ticked.
    actions.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs"), RequestedItem("other", "a screenshot of the error")],
        message="Please send the logs of the last hour.",
    )
    page.reload()
    assert page.locator("#reply input[name=provided_items]:checked").count() == 2
    page.screenshot(path=SHOTS / "portal_ticket_diagnostics.png", full_page=True)

    assert console_errors == []
