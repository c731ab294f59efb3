import datetime
import re

import pytest
from django.core import mail, signing

from supportdesk.feedback.models import Rating
from supportdesk.feedback.services import SALT, rating_links, rating_token
from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.models import CloseReason, Ticket
from supportdesk.tickets.tests.helpers import NOW, sep_ticket


def closed(cast, reason=CloseReason.NO_RESPONSE) -> Ticket:
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    # No response: only the silence sweep closes so (actor None); not entitled: the working agent.
    actor = None if reason == CloseReason.NO_RESPONSE else cast.engineer
    return actions.close_ticket(ticket=ticket, actor=actor, close_reason=reason, reason="Done")


def link_path(ticket: Ticket, score: int = 4) -> str:
    url = dict(rating_links(ticket))[score]
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_closure_email_carries_five_rating_links(cast):
    ticket = closed(cast)
    message = OutboxMessage.objects.filter(ticket=ticket, template="ticket_closed").get()
    links = re.findall(r"/rate/[^/\s]+/\?score=(\d)", message.body_text)
    assert links == ["1", "2", "3", "4", "5"]
    assert "/rate/" in message.body_html
    assert not mail.outbox  # written to the outbox, not sent from the action


def test_a_closure_with_nothing_to_rate_has_no_links(cast):
    ticket = closed(cast, reason=CloseReason.NOT_ENTITLED)
    message = OutboxMessage.objects.filter(ticket=ticket, template="ticket_closed").get()
    assert "/rate/" not in message.body_text


def test_one_click_shows_the_score_and_a_post_records_it_once(client, cast):
    ticket = closed(cast)
    path = link_path(ticket, 4)
    page = client.get(path)
    assert page.status_code == 200
    assert not Rating.objects.exists()  # a link scanner following the link records nothing
    assert b'value="4" required id="id_score_3" checked' in page.content
    response = client.post(path.split("?")[0], {"score": "4", "comment": "Quick and clear"})
    assert response.status_code == 200
    rating = Rating.objects.get()
    assert (rating.ticket_id, rating.score, rating.comment, rating.source) == (
        ticket.pk,
        4,
        "Quick and clear",
        "email",
    )
    assert rating.rated_by == ticket.contact.user
    again = client.post(path.split("?")[0], {"score": "1"})
    assert again.status_code == 409
    assert Rating.objects.get().score == 4


def test_forged_expired_and_open_ticket_tokens_are_refused(client, cast, time_machine):
    ticket = closed(cast)
    assert client.get("/rate/not-a-token/?score=5").status_code == 404
    forged = signing.dumps({"t": ticket.pk}, salt="another-salt")
    assert client.post(f"/rate/{forged}/", {"score": "5"}).status_code == 404
    open_ticket = sep_ticket(cast)
    assert client.post(f"/rate/{rating_token(open_ticket)}/", {"score": "5"}).status_code == 404
    token = signing.dumps({"t": ticket.pk}, salt=SALT)
    time_machine.move_to(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=31))
    assert client.post(f"/rate/{token}/", {"score": "5"}).status_code == 410
    assert not Rating.objects.exists()


def test_a_bad_score_is_422_and_records_nothing(client, cast):
    ticket = closed(cast)
    response = client.post(f"/rate/{rating_token(ticket)}/", {"score": "9"})
    assert response.status_code == 422
    assert not Rating.objects.exists()


def test_the_contact_rates_on_the_portal_and_nobody_else_can(client, cast):
    ticket = closed(cast)
    client.force_login(cast.colleague_alpha)
    assert client.post(f"/tickets/{ticket.number}/rating/", {"score": "2"}).status_code == 404
    client.force_login(cast.orgadmin_alpha)  # sees the request, but is not its contact
    assert client.post(f"/tickets/{ticket.number}/rating/", {"score": "2"}).status_code == 403
    assert not Rating.objects.exists()
    client.force_login(cast.customer_alpha)
    page = client.get(f"/tickets/{ticket.number}/")
    assert b'id="rating"' in page.content
    response = client.post(f"/tickets/{ticket.number}/rating/", {"score": "5"})
    assert response.status_code == 302
    assert Rating.objects.get().source == "portal"
    page = client.get(f"/tickets/{ticket.number}/")
    assert b"5" in page.content


@pytest.mark.django_db
def test_ratings_need_a_score_from_one_to_five():
    from django.db import IntegrityError

    assert Rating._meta.get_field("score").validators
    with pytest.raises(IntegrityError):
        Rating.objects.create(ticket_id=1, score=6, rated_by_id=1, source="email", created_at=NOW)
