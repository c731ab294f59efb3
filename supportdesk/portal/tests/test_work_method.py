"""The customer agrees to the work method, or objects by choosing another, on the portal (the
same action the API offers)."""

from __future__ import annotations

from django.urls import reverse

from supportdesk.tickets import actions
from supportdesk.tickets.models import TicketEvent
from supportdesk.tickets.tests.helpers import sep_ticket


def test_customer_objects_to_the_proposed_work_method_on_the_portal(client, cast):
    ticket = sep_ticket(cast)
    actions.take_ticket(ticket=ticket, actor=cast.engineer)
    actions.agree_work_method(ticket=ticket, actor=cast.engineer, method_code="phone")
    client.force_login(cast.customer_alpha)

    page = client.get(reverse("ticket_detail", args=[ticket.number]))
    form = page.context["forms"]["agree_work_method"]
    assert form.initial["method"] == "phone"

    response = client.post(
        reverse("ticket_work_method", args=[ticket.number]),
        {"method": "email", "note": "We prefer e-mail: the admins work in shifts."},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.work_method is not None and ticket.work_method.code == "email"
    agreed = ticket.events.filter(kind=TicketEvent.Kind.WORK_METHOD_AGREED).latest("id")
    assert (agreed.actor, agreed.data["side"]) == (cast.customer_alpha, "customer")


def test_a_method_the_level_does_not_allow_is_refused_with_the_form_kept(client, cast):
    ticket = sep_ticket(cast)
    client.force_login(cast.customer_alpha)

    response = client.post(
        reverse("ticket_work_method", args=[ticket.number]), {"method": "carrier-pigeon"}
    )

    assert response.status_code in (200, 422)
    ticket.refresh_from_db()
    assert ticket.work_method is None
