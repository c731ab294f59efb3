"""The API's request and response schemas.

Every text a request carries has the limit of the column it ends up in (or of the form that
collects the same text on the pages), so over-long input is a 422 that names the field, never a
database error. Input schemas carry only what their action needs: a customer cannot set priority,
owner, team, state, deadlines or the internal flag through extra fields.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Schema

from supportdesk.regulations.models import Priority, WorkMethod
from supportdesk.tickets.models import (
    DESCRIPTION_MAX_LENGTH,
    DiagnosticsRequestItem,
    Escalation,
    Ticket,
    TicketState,
)
from supportdesk.tickets.registration import FIELD_LIMITS, max_length

TEXT = DESCRIPTION_MAX_LENGTH  # a message, a reason, a description
SHORT_TEXT = 2000  # a one-line reason or note, as on the pages
NUMBER = max_length(Ticket, "number")
PRIORITY_CODE = max_length(Priority, "code")
EMAIL = 254


class ErrorOut(Schema):
    code: str
    message: str
    fields: list[str] = []


# --- Registration and lists -----------------------------------------------------------------


def _registration_field(name: str) -> Any:
    return Field("", max_length=FIELD_LIMITS[name])


class RegistrationIn(Schema):
    """One field per registration text, with the limit every interface takes from
    ``tickets.registration.FIELD_LIMITS`` (a test keeps the two field lists equal)."""

    support_id: str = _registration_field("support_id")
    support_contact_id: str = _registration_field("support_contact_id")
    license_key: str = _registration_field("license_key")
    product: str = Field("", max_length=FIELD_LIMITS["product"], description="Product code.")
    version: str = _registration_field("version")
    os_version: str = _registration_field("os_version")
    service_pack: str = _registration_field("service_pack")
    subject: str = _registration_field("subject")
    description: str = _registration_field("description")
    priority: str = Field("", max_length=FIELD_LIMITS["priority"], description="Priority code.")


class TicketOut(Schema):
    number: str
    subject: str
    state: str
    priority: str
    product: str
    version: str
    level: str
    organization: str
    channel: str
    registered_at: datetime.datetime
    closed_at: datetime.datetime | None

    @staticmethod
    def from_ticket(ticket: Ticket) -> dict:
        return {
            "number": ticket.number,
            "subject": ticket.subject,
            "state": ticket.state,
            "priority": ticket.priority.code,
            "product": ticket.product.code,
            "version": ticket.version,
            "level": ticket.level.code,
            "organization": ticket.organization.name,
            "channel": ticket.channel,
            "registered_at": ticket.registered_at,
            "closed_at": ticket.closed_at,
        }


class EventOut(Schema):
    at: datetime.datetime
    kind: str
    actor: str | None
    body: str
    internal: bool


class TicketDetailOut(TicketOut):
    description: str
    support_id: str
    license_key: str | None
    timeline: list[EventOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketFilter(Schema):
    state: TicketState | Literal["open"] | None = Field(
        None, description="A state, or `open` for every state but closed."
    )
    priority: str | None = Field(
        None, max_length=PRIORITY_CODE, description="Priority code, e.g. `p1`."
    )
    product: str | None = Field(
        None, max_length=FIELD_LIMITS["product"], description="Product code."
    )
    organization: int | None = Field(None, ge=1, description="Organization id (agents).")
    mine: bool = Field(
        False, description="Only tickets I registered or am the contact of; agents: that I own."
    )
    cursor: str | None = Field(None, max_length=40)
    limit: int = Field(50, ge=1, le=200)


class ContractOut(Schema):
    support_id: str
    regulation: str
    level: str
    valid_from: datetime.date
    valid_to: datetime.date
    active: bool
    products: list[str]
    channels: list[str]
    hotlines: list[str]


# --- Ticket actions -------------------------------------------------------------------------


class ProposalOut(Schema):
    id: int
    side: str
    from_priority: str
    to_priority: str
    reason: str


class TicketSummaryOut(Schema):
    number: str
    subject: str
    state: str
    close_reason: str
    priority: str
    level: str
    owner: str | None
    escalation_level: int
    work_method: str | None
    pending_priority_proposal: ProposalOut | None
    split_from: str | None
    merged_into: str | None
    registered_at: datetime.datetime
    closed_at: datetime.datetime | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class RejectedFileOut(Schema):
    name: str
    code: str
    message: str


class UploadOut(Schema):
    ticket: TicketSummaryOut
    attachments: list[AttachmentOut]
    rejected: list[RejectedFileOut]


class AssignIn(Schema):
    assignee: str = Field(max_length=EMAIL, description="The agent's e-mail address.")
    reason: str = Field("", max_length=SHORT_TEXT)


class TextIn(Schema):
    body: str = Field(max_length=TEXT)


class CommentIn(Schema):
    comment: str = Field("", max_length=TEXT)


class ReasonIn(Schema):
    reason: str = Field("", max_length=TEXT)


class DeclineIn(Schema):
    reason: str = Field("", max_length=SHORT_TEXT)


class ItemIn(Schema):
    kind: str = Field(max_length=max_length(DiagnosticsRequestItem, "kind"))
    text: str = Field("", max_length=max_length(DiagnosticsRequestItem, "text"))


class DiagnosticsIn(Schema):
    items: list[ItemIn] = Field(max_length=len(DiagnosticsRequestItem.Kind) * 4)
    message: str = Field("", max_length=TEXT)


class EscalateIn(Schema):
    reason: str = Field(max_length=max_length(Escalation, "reason"))
    text: str = Field("", max_length=TEXT)
    priority: str = Field("", max_length=PRIORITY_CODE)
    priority_reason: str = Field("", max_length=SHORT_TEXT)


class PriorityIn(Schema):
    priority: str = Field(max_length=PRIORITY_CODE)
    reason: str = Field("", max_length=TEXT)


class WorkMethodIn(Schema):
    method: str = Field(max_length=max_length(WorkMethod, "code"))
    note: str = Field("", max_length=SHORT_TEXT)


class SplitIn(Schema):
    subject: str = Field("", max_length=FIELD_LIMITS["subject"])
    description: str = Field(max_length=TEXT)


class MergeIn(Schema):
    target: str = Field(max_length=NUMBER, description="The number of the ticket merged into.")
    reason: str = Field("", max_length=SHORT_TEXT)


class CloseIn(Schema):
    close_reason: str = Field(max_length=max_length(Ticket, "close_reason"))
    reason: str = Field("", max_length=TEXT)
