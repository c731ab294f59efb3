"""Knowledge base: search, suggestions while a customer types a subject, counting the
suggestions that were opened and not followed by a request, and drafting an article from a
ticket's proposed solution."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from supportdesk.accounts.models import User
from supportdesk.kb.models import Article, SuggestionOpen
from supportdesk.tickets.models import Ticket, TicketEvent

SUGGESTIONS = 5
MIN_WORD = 3
# A request submitted this long after a suggestion was opened counts as following it.
FOLLOW_WINDOW = dt.timedelta(hours=2)


def search_articles(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Articles whose title or text contains every word of ``query`` (case-insensitive)."""
    words = [w for w in query.split() if len(w) >= MIN_WORD][:8]
    if not words:
        return articles.none()
    for word in words:
        articles = articles.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return articles.order_by("title")


def suggest_articles(articles: QuerySet[Article], subject: str) -> list[Article]:
    """Articles matching any word of a subject being typed, those matching most words first."""
    words = {w.lower() for w in subject.split() if len(w) >= MIN_WORD}
    if not words:
        return []
    condition = Q()
    for word in list(words)[:8]:
        condition |= Q(title__icontains=word) | Q(body__icontains=word)
    candidates = list(articles.filter(condition)[:50])

    def score(article: Article) -> int:
        text = f"{article.title} {article.title} {article.body}".lower()
        return sum(text.count(word) for word in words)

    return sorted(candidates, key=score, reverse=True)[:SUGGESTIONS]


def record_suggestion_open(
    *, article: Article, session_key: str, user: User | None, now: dt.datetime | None = None
) -> SuggestionOpen:
    return SuggestionOpen.objects.create(
        article=article,
        session_key=session_key,
        user=user if user is not None and user.is_authenticated else None,
        opened_at=now or timezone.now(),
    )


def note_submission(*, session_key: str, ticket: Ticket) -> int:
    """A request was submitted: the suggestions this session opened shortly before it did not
    answer the customer. Returns how many were marked."""
    since = ticket.registered_at - FOLLOW_WINDOW
    return SuggestionOpen.objects.filter(
        session_key=session_key, ticket__isnull=True, opened_at__gte=since
    ).update(ticket=ticket)


def deflection(*, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Suggestions opened in [start, end): how many, and how many were not followed by a
    request from the same session (the requests the knowledge base may have saved)."""
    opened = SuggestionOpen.objects.filter(opened_at__gte=start, opened_at__lt=end)
    total = opened.count()
    followed = opened.filter(ticket__isnull=False).count()
    return {"opened": total, "followed": followed, "not_followed": total - followed}


def draft_from_solution(*, ticket: Ticket, actor: User) -> Article:
    """A draft article from the ticket's last proposed solution (the caller checked that
    ``actor`` is an agent who may see the ticket). Raises ValueError when none was proposed."""
    solution = (
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SOLUTION_PROPOSED)
        .order_by("-created_at", "-id")
        .first()
    )
    if solution is None or not solution.body.strip():
        raise ValueError("no proposed solution")
    return Article.objects.create(
        title=ticket.subject,
        body=solution.body,
        language=ticket.language,
        product=ticket.product,
        versions=ticket.version,
        visibility=Article.Visibility.CUSTOMERS,
        status=Article.Status.DRAFT,
        source_ticket=ticket,
        created_by=actor,
    )
