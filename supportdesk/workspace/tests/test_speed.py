"""Agent speed: canned replies, presence (collision warning), newest-first timeline, and the
customer's confirm/refuse box quoting the proposed solution."""

from __future__ import annotations

import html

import pytest
from django.core.cache import cache
from django.test import Client

from supportdesk.portal.tests.helpers import sep_ticket
from supportdesk.tickets import actions
from supportdesk.workspace.models import CannedReply
from supportdesk.workspace.tests.helpers import as_user, portal, posted, ws


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_canned_replies_follow_team_and_regulation_and_fill_placeholders(cast):
    ticket = sep_ticket(cast)
    own = CannedReply.objects.create(
        title="Reboot",
        body="Dear {customer_name}, about {ticket_number} ({product}): reboot. {agent_name} {x}",
        language="en",
        team=ticket.team,
        regulation=ticket.regulation,
    )
    other_team = CannedReply.objects.create(
        title="Other team", body="-", language="ru", team=cast.team_en
    )
    other_regulation = CannedReply.objects.create(
        title="Other regulation",
        body="-",
        language="ru",
        regulation_id=cast.contract_beta.regulation_id,
    )
    offered = set(CannedReply.for_ticket(ticket))
    assert own in offered
    assert other_team not in offered and other_regulation not in offered
    # The migration's two general replies are offered everywhere.
    assert {r.language for r in offered if r.team_id is None and r.regulation_id is None} == {
        "ru",
        "en",
    }
    customer = cast.customer_alpha.get_full_name()
    assert own.render(ticket, cast.engineer) == (
        f"Dear {customer}, about {ticket.number} ({ticket.product}): reboot. "
        f"{cast.engineer.get_full_name()} {{x}}"
    )


def test_the_ticket_page_offers_them_filled_in_on_reply_solution_and_diagnostics(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    page = client.get(ws("ticket", ticket))
    text = html.unescape(page.content.decode())
    assert text.count('class="canned-select"') == 3  # reply, diagnostics, solution
    assert 'data-canned-field="message"' in text
    assert f"обращением {ticket.number}" in text  # the Russian starter, filled in
    # The ticket's language first.
    assert page.context["canned"][0]["label"] == "Русский"


def test_presence_warns_of_another_agent_and_of_typing(cast):
    ticket = sep_ticket(cast)
    engineer, manager = Client(), Client()
    as_user(engineer, cast.engineer)
    as_user(manager, cast.manager)
    url = ws("ticket_presence", ticket)
    first = engineer.post(url, {"typing": "0"})
    assert first.status_code == 200 and "presence-other" not in first.content.decode()
    manager_name = cast.manager.get_full_name()
    manager.post(url, {"typing": "1"})
    seen = engineer.post(url, {"typing": "0"}).content.decode()
    assert manager_name in seen and "presence-typing" in seen
    assert "сейчас пишет ответ" in seen
    manager.post(url, {"typing": "0"})
    seen = engineer.post(url, {"typing": "0"}).content.decode()
    assert manager_name in seen and "presence-typing" not in seen
    assert "тоже открыл(а) это обращение" in seen


def test_presence_is_for_agents_who_see_the_ticket(cast):
    ticket = sep_ticket(cast)
    customer, outsider = Client(), Client()
    as_user(customer, cast.customer_alpha)
    as_user(outsider, cast.engineer_en)
    assert customer.post(ws("ticket_presence", ticket)).status_code == 403
    assert outsider.post(ws("ticket_presence", ticket)).status_code == 404
    assert customer.get(ws("ticket_presence", ticket)).status_code == 405


def test_newest_first_puts_the_composer_on_top_and_is_kept(client, cast):
    ticket = sep_ticket(cast)
    as_user(client, cast.engineer)
    posted(client, ws("ticket_take", ticket))
    posted(client, ws("ticket_note", ticket), {"body": "first note"})
    oldest = client.get(ws("ticket", ticket))
    kinds = [item["event"].kind for item in oldest.context["events"]]
    assert kinds[0] == "registered"
    content = oldest.content.decode()
    assert content.index('id="timeline"') < content.index('id="reply-form"')

    newest = client.get(ws("ticket", ticket) + "?timeline=newest")
    assert [item["event"].kind for item in newest.context["events"]] == kinds[::-1]
    content = newest.content.decode()
    assert content.index('id="reply-form"') < content.index('id="timeline"')
    # Kept for the next page, until switched back.
    assert client.get(ws("ticket", ticket)).context["newest_first"] is True
    assert client.get(ws("ticket", ticket) + "?timeline=oldest").context["newest_first"] is False


def test_the_confirm_box_quotes_the_proposed_solution(client, cast):
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    actions.propose_solution(
        ticket=ticket, actor=cast.engineer, body="Install maintenance patch 3.", files=[]
    )
    as_user(client, cast.customer_alpha)
    content = client.get(portal("ticket_detail", ticket)).content.decode()
    box = content[content.index('id="solution"') :]
    quote = box[: box.index("</blockquote>")]
    assert 'id="solution-quote"' in quote
    assert "Install maintenance patch 3." in quote
