"""The write side of search: a ticket's search document, rebuilt in the change's transaction.

``index_ticket`` is called from the one hook every ticket service runs after a change
(``tickets.actions.base.ticket_changed``, registration included), so the document can never lag
behind the ticket: no signal to miss, no index beside the database to drift. It reads the
ticket's texts (one query for the relations, one for the timeline's messages) and writes:

* PostgreSQL: ``TicketSearch`` with the ``public`` and ``internal`` tsvectors, each the Russian and
  the English stemming of the same text (the subject weighted A, so it ranks first), and
  ``keys`` (number, names, e-mail, phones, Support IDs, license key) for pg_trgm substring search;
* SQLite: ``TicketSearch.keys`` the same, and the row of the FTS5 table ``tickets_search_fts``
  (rowid = ticket id, columns ``public`` and ``internal``).

What customers may read (``public``): subject, description, and every timeline text that is not
internal. ``internal``: the internal notes. Customers are searched on ``public`` only.
"""

from __future__ import annotations

from django.db import connection, transaction

from supportdesk.tickets.models import Ticket, TicketEvent

# The full-text configurations a document is stemmed with; a query is parsed with each.
CONFIGS = ("russian", "english")
_BATCH = 500

# The subject weighted A (it ranks first), then the rest; each text stemmed in both configs.
_UPSERT_POSTGRESQL = """
INSERT INTO tickets_ticketsearch (ticket_id, keys, public, internal)
VALUES (
    %(id)s,
    %(keys)s,
    setweight(to_tsvector('russian'::regconfig, %(subject)s), 'A')
    || setweight(to_tsvector('english'::regconfig, %(subject)s), 'A')
    || to_tsvector('russian'::regconfig, %(public)s)
    || to_tsvector('english'::regconfig, %(public)s),
    to_tsvector('russian'::regconfig, %(internal)s)
    || to_tsvector('english'::regconfig, %(internal)s)
)
ON CONFLICT (ticket_id) DO UPDATE
SET keys = EXCLUDED.keys, public = EXCLUDED.public, internal = EXCLUDED.internal
"""
_UPSERT_KEYS = """
INSERT INTO tickets_ticketsearch (ticket_id, keys) VALUES (%s, %s)
ON CONFLICT (ticket_id) DO UPDATE SET keys = excluded.keys
"""
# Every ticket's document at once (PostgreSQL): the same keys and texts as ``index_ticket``.
_REBUILD_POSTGRESQL = """
INSERT INTO tickets_ticketsearch (ticket_id, keys, public, internal)
SELECT d.id, d.keys,
    setweight(to_tsvector('russian'::regconfig, d.subject), 'A')
    || setweight(to_tsvector('english'::regconfig, d.subject), 'A')
    || to_tsvector('russian'::regconfig, d.public) || to_tsvector('english'::regconfig, d.public),
    to_tsvector('russian'::regconfig, d.internal) || to_tsvector('english'::regconfig, d.internal)
FROM (
    SELECT t.id, t.subject, k.keys,
        k.keys || E'\n' || t.description || COALESCE(E'\n' || e.public, '') AS public,
        COALESCE(e.internal, '') AS internal
    FROM tickets_ticket t
    JOIN accounts_organization o ON o.id = t.organization_id
    JOIN accounts_contact c ON c.id = t.contact_id
    JOIN accounts_user u ON u.id = c.user_id
    JOIN contracts_contract ct ON ct.id = t.contract_id
    LEFT JOIN contracts_licensekey lk ON lk.id = t.license_key_id
    CROSS JOIN LATERAL (
        SELECT lower(concat_ws(E'\n', t.number, o.name,
            NULLIF(trim(u.first_name || ' ' || u.last_name), ''), NULLIF(u.email, ''),
            NULLIF(c.support_contact_id, ''), NULLIF(ct.support_id, ''), lk.key,
            (SELECT string_agg(p.number || E'\n' || p.normalized, E'\n')
             FROM accounts_contactphone p WHERE p.contact_id = c.id))) AS keys
    ) k
    LEFT JOIN LATERAL (
        SELECT string_agg(ev.body, E'\n' ORDER BY ev.created_at, ev.id)
                   FILTER (WHERE NOT ev.is_internal) AS public,
               string_agg(ev.body, E'\n' ORDER BY ev.created_at, ev.id)
                   FILTER (WHERE ev.is_internal) AS internal
        FROM tickets_ticketevent ev WHERE ev.ticket_id = t.id AND ev.body <> ''
    ) e ON true
) d
ON CONFLICT (ticket_id) DO UPDATE
SET keys = EXCLUDED.keys, public = EXCLUDED.public, internal = EXCLUDED.internal
"""
_FTS_DELETE = "DELETE FROM tickets_search_fts WHERE rowid = %s"
_FTS_INSERT = "INSERT INTO tickets_search_fts (rowid, public, internal) VALUES (%s, %s, %s)"


def document_keys(ticket: Ticket) -> str:
    """The short identifiers and names a ticket is found by, lowercased, one per line."""
    contact = ticket.contact
    user = contact.user
    phones = list(contact.phones.all())  # one read when the phones were not prefetched
    values = [
        ticket.number,
        ticket.organization.name,
        user.get_full_name(),
        user.email,
        contact.support_contact_id,
        ticket.contract.support_id,
        ticket.license_key.key if ticket.license_key else "",
        *(phone.number for phone in phones),
        *(phone.normalized for phone in phones),
    ]
    return "\n".join(value.lower() for value in values if value)


def _texts(ticket: Ticket) -> tuple[str, str]:
    """The text customers may read (after the subject) and the internal notes' text."""
    public = [ticket.description]
    internal: list[str] = []
    for body, is_internal in (
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(body="")
        .order_by("created_at", "id")
        .values_list("body", "is_internal")
    ):
        (internal if is_internal else public).append(body)
    return "\n".join(public), "\n".join(internal)


def index_ticket(ticket: Ticket, *, new: bool = False) -> None:
    """Rebuild ``ticket``'s search document; call inside the change's transaction.

    ``new``: the ticket was just registered from the objects at hand (its relations loaded, no
    timeline text yet), so nothing is read again but the contact's phones."""
    if new:
        public, internal = ticket.description, ""
    else:
        ticket = (
            Ticket.objects.select_related(
                "organization", "contact__user", "contract", "license_key"
            )
            .prefetch_related("contact__phones")
            .get(pk=ticket.pk)
        )
        public, internal = _texts(ticket)
    keys = document_keys(ticket)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _UPSERT_POSTGRESQL,
                {
                    "id": ticket.pk,
                    "keys": keys,
                    "subject": ticket.subject,
                    "public": f"{keys}\n{public}",
                    "internal": internal,
                },
            )
            return
        cursor.execute(_UPSERT_KEYS, [ticket.pk, keys])
        if connection.vendor == "sqlite":
            cursor.execute(_FTS_DELETE, [ticket.pk])
            cursor.execute(
                _FTS_INSERT, [ticket.pk, f"{ticket.subject}\n{keys}\n{public}", internal]
            )


def rebuild_all() -> int:
    """Rebuild every ticket's document (``supportdesk reindex_search``): on PostgreSQL in one
    statement, elsewhere ticket by ticket in batches. Returns how many tickets."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REBUILD_POSTGRESQL)
            return cursor.rowcount
    ids = list(Ticket.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), _BATCH):
        with transaction.atomic():
            for ticket in Ticket.objects.filter(id__in=ids[start : start + _BATCH]):
                index_ticket(ticket)
    return len(ids)
