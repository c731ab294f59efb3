"""Rating a closed ticket: by the signed link of the closure e-mail, or on the portal.

The link carries a token signed with the project's SECRET_KEY (``django.core.signing``, its own
salt): it names one ticket, expires after ``CSAT_LINK_DAYS`` and works once, since a ticket has at
most one rating (a unique row; a second attempt is refused). It is the customer's capability for
that one rating and nothing else: the page behind it shows only the ticket's number.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.feedback.models import Rating
from supportdesk.tickets.models import CloseReason, Ticket, TicketState

SALT = "supportdesk.feedback.rating"
SCORES = (1, 2, 3, 4, 5)
# Closures after which support worked on the request: the others (a duplicate, not entitled,
# withdrawn by the customer) have nothing to rate.
RATEABLE = frozenset({CloseReason.CONFIRMED, CloseReason.NO_RESPONSE})


class RatingError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def is_rateable(ticket: Ticket) -> bool:
    return ticket.state == TicketState.CLOSED and ticket.close_reason in RATEABLE


def rating_token(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk}, salt=SALT, compress=True)


def rating_links(ticket: Ticket) -> list[tuple[int, str]]:
    """(score, absolute address) for each score, for the closure e-mail."""
    base = settings.SITE_URL + reverse("csat_rate", args=[rating_token(ticket)])
    return [(score, f"{base}?score={score}") for score in SCORES]


def ticket_for_token(token: str) -> Ticket:
    """The ticket a link names; RatingError when forged, expired, or for a ticket not rateable."""
    max_age = dt.timedelta(days=settings.CSAT_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise RatingError(_("This rating link has expired."), 410) from error
    except signing.BadSignature as error:
        raise RatingError(_("This rating link is not valid."), 404) from error
    ticket_id = payload.get("t") if isinstance(payload, dict) else None
    ticket = (
        Ticket.objects.select_related("contact__user").filter(pk=ticket_id).first()
        if isinstance(ticket_id, int)
        else None
    )
    if ticket is None or not is_rateable(ticket):
        raise RatingError(_("This rating link is not valid."), 404)
    return ticket


def rate_ticket(
    *,
    ticket: Ticket,
    rated_by: User,
    score: int,
    comment: str = "",
    source: str,
    now: dt.datetime | None = None,
) -> Rating:
    """Record the one rating of a closed ticket. The caller checked who may rate it."""
    if score not in SCORES:
        raise RatingError(_("Choose a score from 1 to 5."), 422)
    if not is_rateable(ticket):
        raise RatingError(_("Only a closed request that support worked on can be rated."), 409)
    try:
        with transaction.atomic():
            return Rating.objects.create(
                ticket=ticket,
                score=score,
                comment=comment.strip()[:2000],
                rated_by=rated_by,
                source=source,
                created_at=now or timezone.now(),
            )
    except IntegrityError as error:
        raise RatingError(_("This request has already been rated. Thank you!"), 409) from error
