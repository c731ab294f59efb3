"""The read side of search: tickets a user may see that match a query, best first, with a
highlighted snippet.

Everything starts from ``access.visible_tickets(user)``; a narrower ``within`` (the queue's or a
list's filters) is combined with it, never substituted for it. Agents search what customers may
read and the internal notes; customers only what they may read, and their snippets are cut from
that text only. The documents are kept by ``tickets.search_index``.

* PostgreSQL: ``websearch_to_tsquery`` in the Russian and the English configuration against the
  ``public`` (and, for agents, ``internal``) tsvectors (GIN), or a substring of ``keys`` (number,
  names, e-mail, phones, Support IDs, license key; pg_trgm GIN) for three characters or more.
  Ranked by ``ts_rank`` (the subject weighs most), a key match first.
* SQLite: the FTS5 table, every word as a prefix (a word of six letters or more loses its last
  two, a poor man's stemming of Russian and English endings), ranked by bm25; ``keys`` by LIKE.

Snippets are cut in Python from the matching text and escaped before the ``<mark>`` tags are
added, whatever the text holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from supportdesk import access
from supportdesk.accounts.models import User
from supportdesk.tickets.models import Ticket, TicketEvent
from supportdesk.tickets.search_index import CONFIGS

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_RESULTS = 50
SNIPPET_CONTEXT = 80
# Substring search of numbers, names and keys starts at this length (pg_trgm needs three).
MIN_KEY_LENGTH = 3

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    """A found ticket and where: ``source`` is subject, text (description or a reply), note
    (internal, agents only) or keys; ``snippet`` is escaped HTML with ``<mark>``s."""

    ticket: Ticket
    snippet: SafeString
    source: str


def clean(text: str) -> str:
    """The query as searched: trimmed, at most ``MAX_QUERY_LENGTH`` characters."""
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def stems(text: str) -> list[str]:
    """The query's words as prefixes: lowercased, a long word of letters without its last two
    (numbers and codes stay whole)."""
    words = [w.lower() for w in _WORD.findall(text)][:MAX_WORDS]
    return [w[:-2] if len(w) >= 6 and w.isalpha() else w for w in words]


def search(
    user: User, text: str, *, within: QuerySet[Ticket] | None = None, limit: int = MAX_RESULTS
) -> list[Hit]:
    """The tickets ``user`` may see (narrowed by ``within``) that match ``text``, best first."""
    text = clean(text)
    if not text or not stems(text):
        return []
    tickets = access.visible_tickets(user)
    if within is not None:
        # ``within`` first keeps its select_related; the access filter is ANDed, never replaced.
        tickets = within & tickets
    internal = access.agent_of(user) is not None
    if connection.vendor == "postgresql":
        found = _postgresql(tickets, text, internal=internal)
    else:
        found = _sqlite(tickets, text, internal=internal)
    rows = list(found.order_by("-rank", "-registered_at", "-id")[:limit])
    return _with_snippets(rows, text, internal=internal)


def _keys_match(text: str) -> Q:
    needle = text.lower()
    if len(needle) < MIN_KEY_LENGTH:
        return Q(pk__in=[])
    return Q(search__keys__contains=needle)


def _postgresql(tickets: QuerySet[Ticket], text: str, *, internal: bool) -> QuerySet[Ticket]:
    query = SearchQuery(text, config=CONFIGS[0], search_type="websearch")
    for config in CONFIGS[1:]:
        query = query | SearchQuery(text, config=config, search_type="websearch")
    keys = _keys_match(text)
    matches = Q(search__public=query) | keys
    rank: Combinable = SearchRank(F("search__public"), query)
    if internal:
        matches |= Q(search__internal=query)
        rank = rank + SearchRank(F("search__internal"), query) * Value(0.5)
    key_bonus = Case(When(keys, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    return tickets.filter(matches).annotate(rank=rank + key_bonus)


def fts_expression(text: str, *, internal: bool) -> str:
    """The FTS5 query: every stem as a quoted prefix, all required, in the allowed columns."""
    terms = " AND ".join(f'"{stem}"*' for stem in stems(text))
    columns = "{public internal}" if internal else "public"
    return f"{columns} : ({terms})"


class FtsMatch(Func):
    """``id IN (the rowids of the FTS5 table matching the expression)``: SQLite only."""

    arg_joiner = " IN (SELECT rowid FROM tickets_search_fts WHERE tickets_search_fts MATCH "
    template = "%(expressions)s)"
    output_field = BooleanField()


class FtsRank(Func):
    """bm25 of the ticket's FTS5 row for the expression, higher is better (0 without a match)."""

    arg_joiner = " AND tickets_search_fts MATCH "
    template = (
        "COALESCE((SELECT -bm25(tickets_search_fts) FROM tickets_search_fts "
        "WHERE rowid = %(expressions)s), 0)"
    )
    output_field = FloatField()


def _sqlite(tickets: QuerySet[Ticket], text: str, *, internal: bool) -> QuerySet[Ticket]:
    expression = Value(fts_expression(text, internal=internal))
    keys = _keys_match(text)
    key_bonus = Case(When(keys, then=Value(100.0)), default=Value(0.0), output_field=FloatField())
    return tickets.filter(FtsMatch(F("id"), expression) | keys).annotate(
        rank=FtsRank(F("id"), expression) + key_bonus
    )


def _with_snippets(rows: list[Ticket], text: str, *, internal: bool) -> list[Hit]:
    # A stem marks the whole word it starts.
    pattern = re.compile("|".join(rf"{re.escape(stem)}\w*" for stem in stems(text)), re.IGNORECASE)
    bodies: dict[int, list[tuple[str, bool]]] = {}
    events = TicketEvent.objects.filter(ticket__in=[t.pk for t in rows]).exclude(body="")
    if not internal:
        events = events.filter(is_internal=False)
    for ticket_id, body, is_internal in events.order_by("created_at", "id").values_list(
        "ticket_id", "body", "is_internal"
    ):
        bodies.setdefault(ticket_id, []).append((body, is_internal))
    hits = []
    for ticket in rows:
        texts = [(ticket.subject, "subject"), (ticket.description, "text")]
        texts += [(body, "note" if note else "text") for body, note in bodies.get(ticket.pk, [])]
        for body, source in texts:
            if pattern.search(body):
                hits.append(Hit(ticket, highlight(body, pattern), source))
                break
        else:
            hits.append(Hit(ticket, highlight(ticket.description, None), "keys"))
    return hits


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """A window of ``text`` around the first match, escaped, the matches in ``<mark>``."""
    first = pattern.search(text) if pattern is not None else None
    start = max(first.start() - SNIPPET_CONTEXT, 0) if first else 0
    end = min((first.end() if first else 0) + SNIPPET_CONTEXT * 2, len(text))
    window = text[start:end]
    parts: list[str] = ["…" if start else ""]
    position = 0
    for match in pattern.finditer(window) if pattern is not None else ():
        parts.append(window[position : match.start()])
        parts.append(format_html("<mark>{}</mark>", match.group()))
        position = match.end()
    parts.append(window[position:])
    parts.append("…" if end < len(text) else "")
    # format_html_join escapes every plain piece; the <mark> pieces are safe already.
    return format_html_join("", "{}", ((part,) for part in parts))
