"""A customer opens a request in a real browser, then switches the interface to English."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from supportdesk.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots to look at after a run (the layout is checked by eye, the flow by the asserts).
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))


def test_customer_registers_a_request_and_switches_to_english(live_server, cast, page):
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "ivan@alpha.example")
    page.fill("input[name=password]", "demo")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")

    page.click("nav.mainnav a[href='/tickets/new/']")
    page.wait_for_url(f"{live_server.url}/tickets/new/")
    assert page.input_value("input[name=support_contact_id]") == "SC-1001"
    page.select_option("select[name=product]", label="Symantec Endpoint Protection")
    page.fill("input[name=version]", "14.3 RU8")
    page.fill("input[name=os_version]", "Windows Server 2019")
    page.fill("input[name=service_pack]", "CU 2024-01")
    page.check("input[name=priority][value=p2]")
    page.fill("input[name=subject]", "Clients do not receive definitions")
    page.fill("textarea[name=description]", "Since Monday the clients do not download updates.")
    page.screenshot(path=SHOTS / "portal_new_request.png", full_page=True)
    page.click("form.request-form .actions button[type=submit]")

    page.wait_for_url(re.compile(r".*/tickets/SD-\d{4}-\d{6}/$"))
    number = Ticket.objects.get().number
    assert page.locator(".ticket-number").inner_text() == number
    assert number in page.locator(".messages").inner_text()
    page.screenshot(path=SHOTS / "portal_ticket.png", full_page=True)

    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.mainnav").inner_text().split("\n")[0].strip() == "My requests"
    assert page.locator("h2").first.inner_text() == "Description"
    page.screenshot(path=SHOTS / "portal_ticket_en.png", full_page=True)

    page.click("nav.mainnav a[href='/contracts/']")
    page.wait_for_url(f"{live_server.url}/contracts/")
    page.screenshot(path=SHOTS / "portal_contracts.png", full_page=True)

    assert console_errors == []
