from html.parser import HTMLParser

import pytest

from supportdesk.kb.models import Article, SuggestionOpen
from supportdesk.kb.rendering import render_markdown
from supportdesk.kb.services import deflection, draft_from_solution
from supportdesk.tickets import actions
from supportdesk.tickets.tests.helpers import NOW, sep_ticket


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "details", "object"):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript"):
                self.found.append(f"{tag} {name}")


def active_content(html: str) -> list[str]:
    """Tags and attributes that could run code (text that merely reads like code is fine)."""
    parser = _Tags()
    parser.feed(html)
    return parser.found


def article(cast, **fields) -> Article:
    values = {
        "title": "Клиенты не получают обновления определений",
        "body": "Перезапустите службу **LiveUpdate** и проверьте прокси.",
        "language": "ru",
        "product": cast.product_sep,
        "versions": "14.3",
        "visibility": Article.Visibility.CUSTOMERS,
        "status": Article.Status.PUBLISHED,
        "created_by": cast.engineer,
    }
    values.update(fields)
    return Article.objects.create(**values)


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](javascript\n:alert(1))",
        "<script>alert(1)</script>",
        '<details ontoggle="alert(1)" open>x</details>',
        "![x](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
    ],
)
def test_markdown_is_rendered_safely(markdown):
    assert active_content(render_markdown(markdown)) == []


def test_markdown_keeps_formatting_and_safe_links():
    html = render_markdown("**bold** and [docs](https://example.com/a)")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com/a"' in html and 'rel="noopener nofollow"' in html


def test_search_and_visibility(client, cast):
    article(cast)
    article(cast, title="Public proxy guide", visibility=Article.Visibility.PUBLIC, language="en")
    article(cast, title="Draft proxy notes", status=Article.Status.DRAFT)
    anonymous = client.get("/kb/", {"q": "proxy"})
    assert b"Public proxy guide" in anonymous.content
    assert b"LiveUpdate" not in anonymous.content
    assert b"Draft proxy notes" not in anonymous.content
    client.force_login(cast.customer_beta)
    customer = client.get("/kb/", {"q": "прокси"})
    assert "Клиенты не получают".encode() in customer.content
    assert b"Draft proxy notes" not in customer.content
    client.force_login(cast.engineer)
    assert b"Draft proxy notes" in client.get("/kb/", {"q": "proxy"}).content


def test_an_article_page_is_sanitized_and_drafts_are_hidden(client, cast):
    hostile = article(cast, body="[click](javascript:alert(1)) <script>x</script>")
    draft = article(cast, status=Article.Status.DRAFT)
    client.force_login(cast.customer_alpha)
    page = client.get(f"/kb/{hostile.pk}/")
    assert page.status_code == 200
    assert active_content(page.context["html"]) == []
    assert "<script>x" not in page.content.decode()
    assert client.get(f"/kb/{draft.pk}/").status_code == 404


def test_suggestions_while_typing_and_the_requests_not_submitted_after_them(client, cast):
    found = article(cast)
    client.force_login(cast.customer_alpha)
    partial = client.get(
        "/kb/suggest/", {"subject": "не получают обновления"}, HTTP_HX_REQUEST="true"
    )
    assert f"/kb/{found.pk}/?from=suggestion".encode() in partial.content
    assert client.get("/kb/suggest/", {"subject": "zz"}).content.strip() == b""
    client.get(f"/kb/{found.pk}/?from=suggestion")
    client.get(f"/kb/{found.pk}/?from=suggestion")
    assert SuggestionOpen.objects.count() == 2
    start, end = NOW.replace(year=2000), NOW.replace(year=2100)
    assert deflection(start=start, end=end) == {"opened": 2, "followed": 0, "not_followed": 2}


def test_the_new_request_form_asks_for_suggestions(client, cast):
    client.force_login(cast.customer_alpha)
    page = client.get("/tickets/new/")
    assert b'hx-get="/kb/suggest/"' in page.content
    assert b'id="kb-suggestions"' in page.content


def test_an_engineer_drafts_an_article_from_a_proposed_solution(client, cast):
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    client.force_login(cast.engineer)
    refused = client.post(f"/workspace/tickets/{ticket.number}/kb-draft/")
    assert refused.status_code == 302 and not Article.objects.exists()
    actions.propose_solution(ticket=ticket, actor=cast.engineer, body="Clear the LiveUpdate cache.")
    response = client.post(f"/workspace/tickets/{ticket.number}/kb-draft/")
    assert response.status_code == 302
    draft = Article.objects.get()
    assert (draft.title, draft.body, draft.status, draft.source_ticket_id) == (
        ticket.subject,
        "Clear the LiveUpdate cache.",
        Article.Status.DRAFT,
        ticket.pk,
    )
    client.force_login(cast.customer_alpha)
    assert client.post(f"/workspace/tickets/{ticket.number}/kb-draft/").status_code == 403
    assert draft_from_solution(ticket=ticket, actor=cast.engineer).pk != draft.pk
