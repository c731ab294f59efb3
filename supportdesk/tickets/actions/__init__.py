"""Every state change of a ticket after its registration, one module per concept.

Portal, workspace, API, mail intake, tasks and commands all call these. Each action is
keyword-only and atomic: it opens with ``base.acting_on`` (lock, visibility, role, state), writes
its timeline events and its outbox e-mails in the same transaction as the change, brings the SLA
deadlines in step, and returns the ticket it changed. A refused action raises
``TicketActionError`` and changes nothing.
"""

from supportdesk.tickets.actions.base import (
    ACTION_STATES,
    OPEN_STATES,
    TicketActionError,
    available_actions,
    ticket_url,
)
from supportdesk.tickets.actions.messages import (
    RequestedItem,
    add_customer_reply,
    add_internal_note,
    add_public_reply,
    record_email_not_accepted,
    request_diagnostics,
)
from supportdesk.tickets.actions.ownership import assign_ticket, take_ticket
from supportdesk.tickets.actions.priority import (
    accept_priority_change,
    decline_priority_change,
    override_priority,
    propose_priority_change,
    request_escalation,
)
from supportdesk.tickets.actions.resolution import (
    AGENT_CLOSE_REASONS,
    close_by_regulation,
    close_not_entitled,
    close_ticket,
    confirm_solution,
    propose_solution,
    refuse_solution,
    reopen_ticket,
    withdraw_ticket,
)
from supportdesk.tickets.actions.work import (
    agree_work_method,
    merge_ticket,
    methods_for_level,
    split_ticket,
)

__all__ = [
    "ACTION_STATES",
    "AGENT_CLOSE_REASONS",
    "OPEN_STATES",
    "RequestedItem",
    "TicketActionError",
    "accept_priority_change",
    "add_customer_reply",
    "add_internal_note",
    "add_public_reply",
    "agree_work_method",
    "assign_ticket",
    "available_actions",
    "close_by_regulation",
    "close_not_entitled",
    "close_ticket",
    "confirm_solution",
    "decline_priority_change",
    "merge_ticket",
    "methods_for_level",
    "override_priority",
    "propose_priority_change",
    "propose_solution",
    "record_email_not_accepted",
    "refuse_solution",
    "reopen_ticket",
    "request_diagnostics",
    "request_escalation",
    "split_ticket",
    "take_ticket",
    "ticket_url",
    "withdraw_ticket",
]
