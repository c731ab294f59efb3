"""supportdesk.access: who sees a ticket and who may do what on it, for every action and every
member of the cast, owned and unowned tickets."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from supportdesk import access
from supportdesk.tickets import actions
from supportdesk.tickets.tests.helpers import sep_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)

CAST = [
    "customer_alpha",
    "orgadmin_alpha",
    "colleague_alpha",
    "customer_beta",
    "customer_gamma",
    "engineer",
    "engineer_en",
    "dispatcher",
    "manager",
    "administrator",
]
CUSTOMERS = {"customer_alpha", "orgadmin_alpha"}
WORKERS = {"engineer", "manager", "administrator"}  # engineer = the owner here
MANAGERS = {"manager", "administrator"}

# A ticket of customer_alpha (regulation 000, team "Russian support") owned by the engineer.
OWNED = {
    "customer_reply": CUSTOMERS,
    "confirm_solution": CUSTOMERS,
    "refuse_solution": CUSTOMERS,
    # Seed 000: escalation and reopening also through the dispatcher, at the customer's call.
    "escalate": CUSTOMERS | {"dispatcher"},
    "withdraw": CUSTOMERS,
    "public_reply": WORKERS,
    "request_diagnostics": WORKERS,
    "propose_solution": WORKERS,
    "split": WORKERS,
    "merge": WORKERS,
    "close": WORKERS,
    "propose_priority": CUSTOMERS | WORKERS,
    "agree_work_method": CUSTOMERS | WORKERS,
    "take": {"engineer", "manager", "administrator"},
    "assign": WORKERS,  # the owner hands over; a manager reassigns; not the dispatcher
    "internal_note": {"engineer", "dispatcher", "manager", "administrator"},
    "reopen": WORKERS | {"dispatcher"},
    "override_priority": MANAGERS,
    "no_such_action": set(),
}
# The same ticket before anyone owns it.
UNOWNED = {
    **OWNED,
    "public_reply": MANAGERS,
    "request_diagnostics": MANAGERS,
    "propose_solution": MANAGERS,
    "split": MANAGERS,
    "merge": MANAGERS,
    "close": MANAGERS,
    "propose_priority": CUSTOMERS | MANAGERS,
    "agree_work_method": CUSTOMERS | MANAGERS,
    "assign": {"dispatcher", "manager", "administrator"},
    "reopen": {"engineer", "dispatcher", "manager", "administrator"},
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def sees(user, ticket) -> bool:
    return access.visible_tickets(user).filter(pk=ticket.pk).exists()


def can_act(user, ticket, action: str) -> bool:
    """What every action checks: it sees the ticket, and its role allows the action."""
    return sees(user, ticket) and access.role_allows(user, ticket, action)


def allowed(cast, ticket, action: str) -> set[str]:
    return {name for name in CAST if can_act(getattr(cast, name), ticket, action)}


def test_visibility_of_the_ticket(cast):
    ticket = sep_ticket(cast)
    seeing = {name for name in CAST if sees(getattr(cast, name), ticket)}
    assert seeing == {
        "customer_alpha",
        "orgadmin_alpha",
        "engineer",
        "dispatcher",
        "manager",
        "administrator",
    }


@pytest.mark.parametrize("action", sorted(OWNED))
def test_owned_ticket(cast, action):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    assert allowed(cast, ticket, action) == OWNED[action]


@pytest.mark.parametrize("action", sorted(UNOWNED))
def test_unowned_ticket(cast, action):
    ticket = sep_ticket(cast)
    assert allowed(cast, ticket, action) == UNOWNED[action]


def test_owner_outside_the_team_still_works_the_ticket(cast):
    ticket = sep_ticket(cast)
    ticket = actions.assign_ticket(ticket=ticket, actor=cast.manager, assignee=cast.engineer_en)
    assert sees(cast.engineer_en, ticket)
    assert can_act(cast.engineer_en, ticket, "public_reply")
    assert not can_act(cast.engineer, ticket, "public_reply")


def test_customer_and_worker_predicates(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    assert [name for name in CAST if access.is_ticket_customer(getattr(cast, name), ticket)] == [
        "customer_alpha",
        "orgadmin_alpha",
    ]
    assert [name for name in CAST if access.is_ticket_worker(getattr(cast, name), ticket)] == [
        "engineer",
        "manager",
        "administrator",
    ]
