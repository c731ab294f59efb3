"""The cockpit in a real browser: nothing overflows sideways on a 390 px phone (queue and lists
as cards, the language switch in view, the SLA card before the timeline), a countdown that
changes without a reload, and a customer's search that never shows another organization."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from supportdesk.accounts.models import User
from supportdesk.portal.tests.helpers import sep_ticket
from supportdesk.regulations.models import BusinessCalendar, SlaTarget
from supportdesk.sla.tests.helpers import ngfw_ticket
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.search_index import index_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))
PHONE = {"width": 390, "height": 844}

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")


def assert_fits(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate(OVERFLOW) <= 0, f"{url} overflows sideways"
    switch = page.locator(".lang-switch").bounding_box()
    assert switch is not None and switch["x"] >= 0 and switch["x"] + switch["width"] <= 390, url


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_no_page_overflows_sideways_on_a_phone(live_server, cast, phone, language):
    User.objects.update(language=language)
    ticket = sep_ticket(cast, description="Очень-длинное-слово-без-пробелов-" * 6)
    base = live_server.url

    phone.goto(f"{base}/accounts/login/")
    assert phone.evaluate(OVERFLOW) <= 0
    sign_in(phone, base, "anna@alpha.example")
    for path in ["/tickets/", f"/tickets/{ticket.number}/", "/tickets/new/", "/contracts/"]:
        assert_fits(phone, base + path)
    phone.goto(f"{base}/tickets/")
    assert phone.locator("table.cards-on-phone thead").is_hidden()
    phone.click(".topbar form.logout button")
    phone.wait_for_load_state("load")

    sign_in(phone, base, "manager@support.example")
    for path in ["/workspace/", "/workspace/dispatch/", "/workspace/outbox/", "/api-tokens/"]:
        assert_fits(phone, base + path)
    assert_fits(phone, f"{base}/workspace/tickets/{ticket.number}/")
    # On a phone the SLA card and the actions come before the timeline.
    sla = phone.locator("#sla").bounding_box()
    actions = phone.locator(".actions-card").bounding_box()
    timeline = phone.locator("#timeline").bounding_box()
    assert sla and actions and timeline
    assert sla["y"] < actions["y"] < timeline["y"]
    phone.goto(f"{base}/workspace/")
    assert phone.locator("table.queue thead").is_hidden()
    assert phone.locator("table.queue tbody tr").first.bounding_box()["width"] <= 390
    phone.screenshot(path=SHOTS / f"queue_phone_{language}.png", full_page=True)


def test_a_countdown_changes_without_a_reload(live_server, cast, page):
    ticket = sep_ticket(cast)
    # The ticket's reaction runs on a 24x7 calendar, so the clock ticks whenever the test runs.
    always = BusinessCalendar.objects.get(name="MSK 24x7")
    SlaTarget.objects.filter(level=ticket.level, priority=ticket.priority).update(
        reaction_calendar=always
    )
    due = timezone.now() + dt.timedelta(minutes=10, seconds=5)
    Ticket.objects.filter(pk=ticket.pk).update(reaction_due_at=due, sla_due_at=due)

    sign_in(page, live_server.url, "engineer@support.example")
    page.wait_for_url(f"{live_server.url}/workspace/")
    cell = page.locator(f"tr:has(a:text('{ticket.number}')) [data-left]")
    first = cell.inner_text()
    page.evaluate("window.__notReloaded = true")

    page.wait_for_function(
        "([el, before]) => el.textContent !== before",
        arg=[cell.element_handle(), first],
        timeout=20_000,
    )

    assert first.startswith("10") and cell.inner_text().startswith("9")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator(".updated").inner_text() != ""
    page.screenshot(path=SHOTS / "queue.png", full_page=True)


def test_a_customer_searches_from_the_top_bar(live_server, cast, page):
    mine = sep_ticket(cast, description="Сервер управления не обновляет клиентов")
    other = ngfw_ticket(cast, now=timezone.now(), description="Сервер VPN не отвечает")
    index_ticket(other)

    sign_in(page, live_server.url, "ivan@alpha.example")
    page.fill(".topbar-search input[name=q]", "сервер")
    page.press(".topbar-search input[name=q]", "Enter")
    page.wait_for_url("**/tickets/?q=*")

    results = page.locator("main").inner_text()
    assert mine.number in results
    assert other.number not in results and "VPN" not in results
    assert page.locator("main mark").first.inner_text().lower().startswith("сервер")
    page.screenshot(path=SHOTS / "search_customer.png", full_page=True)
