"""Seed 000 by phone, in a real browser: the dispatcher answers a call on a regulation line,
finds the caller, registers the request (the call records it), then on a second call escalates
it at the caller's request; the customer's portal shows the escalation."""

from __future__ import annotations

import pytest

from supportdesk.calls.models import Call
from supportdesk.regulations.models import HotlineNumber
from supportdesk.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "demo")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")


def answer(page, base: str, line: HotlineNumber) -> None:
    page.goto(f"{base}/workspace/dispatch/")
    page.select_option("select[name=hotline]", str(line.pk))
    page.select_option("select[name=language]", "ru")
    page.fill("input[name=caller_phone]", "+7 495 111-22-33")
    page.click("text=Принять звонок")
    page.wait_for_selector(".call-panel dl.props")


def test_dispatcher_registers_and_escalates_by_phone(live_server, cast, page):
    base = live_server.url
    line = HotlineNumber.objects.get(regulation=cast.regulation_000, number="8 800 7009983")
    sign_in(page, base, "dispatcher@support.example")

    answer(page, base, line)
    # The caller's number found the organization: its card and the registration form.
    page.wait_for_selector("select[name=contact]")
    page.select_option("select[name=product]", str(cast.product_sep.pk))
    page.fill("input[name=support_contact_id]", "SC-1001")
    page.fill("input[name=version]", "14.3 RU8")
    page.fill("input[name=os_version]", "Windows Server 2019")
    page.fill("input[name=service_pack]", "CU 2024-01")
    page.fill("textarea[name=description]", "SEPM does not start after the update.")
    page.click("text=Зарегистрировать")
    page.wait_for_selector(".ticket-number.big")
    ticket = Ticket.objects.get()
    assert page.inner_text(".ticket-number.big") == ticket.number
    assert Call.objects.get().outcome == "registered"

    answer(page, base, line)
    page.click("text=Эскалировать запрос по просьбе звонящего")
    page.fill("#escalate_number", ticket.number)
    page.fill("#escalate_text", "No answer for two days.")
    page.click("details[open] button:text('Эскалировать')")
    page.wait_for_url(f"{base}/workspace/tickets/{ticket.number}/")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert list(Call.objects.order_by("id").values_list("outcome", flat=True)) == [
        "registered",
        "escalation",
    ]

    # The console works at phone width too.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/workspace/dispatch/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
