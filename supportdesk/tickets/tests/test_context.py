"""Customer context: the organization's requests and contracts beside a ticket, through access."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from supportdesk.sla.tests.helpers import msk, ngfw_ticket, sep_ticket
from supportdesk.tickets import actions
from supportdesk.tickets.context import customer_context

NOW = msk(2026, 11, 23, 10)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_engineer_sees_the_organization_the_contact_and_the_contracts(
    cast, django_assert_max_num_queries
):
    current = sep_ticket(cast, now=NOW, subject="Current")
    other_open = sep_ticket(cast, now=NOW, subject="Other open")
    colleague = sep_ticket(
        cast,
        now=NOW,
        subject="Colleague's",
        requested_by=cast.colleague_alpha,
        contact=cast.colleague_alpha.contact,
        support_contact_id="SC-1003",
    )
    closed = sep_ticket(cast, now=NOW, subject="Closed")
    actions.withdraw_ticket(ticket=closed, actor=cast.customer_alpha, now=NOW)
    beta = ngfw_ticket(cast, now=NOW)
    with django_assert_max_num_queries(6):
        context = customer_context(
            cast.engineer,
            organization=current.organization,
            contact=current.contact,
            exclude=current,
        )
    assert {t.pk for t in context.open_tickets} == {other_open.pk, colleague.pk}
    assert [t.pk for t in context.recent_tickets] == [closed.pk]
    assert {t.pk for t in context.contact_tickets} == {other_open.pk, closed.pk}
    assert beta.pk not in {t.pk for t in context.open_tickets + context.contact_tickets}
    [row] = context.contracts
    assert row.contract == cast.contract_alpha
    assert row.contract.level.code == "essential"
    assert row.active
    assert row.days_left == (cast.contract_alpha.valid_to - dt.date(2026, 11, 23)).days


def test_an_agent_outside_the_queue_sees_none_of_its_tickets(cast):
    current = sep_ticket(cast, now=NOW)
    sep_ticket(cast, now=NOW, subject="Other")
    context = customer_context(
        cast.engineer_en, organization=current.organization, contact=current.contact
    )
    assert context.open_tickets == []
    assert context.contact_tickets == []


def test_a_customer_never_gets_contracts_or_colleagues_requests(cast):
    mine = sep_ticket(cast, now=NOW)
    sep_ticket(
        cast,
        now=NOW,
        requested_by=cast.colleague_alpha,
        contact=cast.colleague_alpha.contact,
        support_contact_id="SC-1003",
    )
    context = customer_context(
        cast.customer_alpha, organization=mine.organization, contact=mine.contact, exclude=mine
    )
    assert context.contracts == []
    assert context.open_tickets == []


def test_the_workspace_ticket_page_shows_the_context(cast):
    current = sep_ticket(cast, now=NOW, subject="Current")
    other = sep_ticket(cast, now=NOW, subject="Other open")
    beta = ngfw_ticket(cast, now=NOW)
    client = Client()
    client.force_login(cast.engineer)
    page = client.get(reverse("workspace:ticket", args=[current.number])).content.decode()
    section = page[page.index('id="customer-context"') :]
    assert other.number in section
    assert cast.contract_alpha.support_id in section
    assert beta.number not in section
