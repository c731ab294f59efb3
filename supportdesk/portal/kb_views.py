"""The knowledge base on the portal: search, an article, and the suggestions shown while a
customer types the subject of a new request (htmx)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from supportdesk import access
from supportdesk.kb.rendering import render_markdown
from supportdesk.kb.services import record_suggestion_open, search_articles, suggest_articles

MAX_RESULTS = 50


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "ru"


def kb_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    articles = access.visible_articles(request.user).select_related("product")
    results = list(search_articles(articles, query)[:MAX_RESULTS]) if query else []
    latest = (
        []
        if query
        else list(articles.filter(language=_language()).order_by("-updated_at")[:MAX_RESULTS])
    )
    context = {"query": query, "results": results, "latest": latest}
    return render(request, "portal/kb_search.html", context)


def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.visible_articles(request.user).select_related("product").filter(pk=pk).first()
    if article is None:
        raise Http404
    if request.GET.get("from") == "suggestion":
        if not request.session.session_key:
            request.session.save()
        record_suggestion_open(
            article=article,
            session_key=request.session.session_key or "",
            user=request.user if request.user.is_authenticated else None,
        )
    context = {"article": article, "html": render_markdown(article.body)}
    return render(request, "portal/kb_article.html", context)


def kb_suggest(request: HttpRequest) -> HttpResponse:
    """The suggestions partial for the new-request form (``hx-get`` on the subject field)."""
    subject = request.GET.get("subject", "")[:200]
    articles = access.visible_articles(request.user).filter(status="published")
    suggestions = suggest_articles(articles, subject)
    return render(request, "portal/kb_suggestions.html", {"suggestions": suggestions})
