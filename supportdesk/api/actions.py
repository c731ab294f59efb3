"""API v1 ticket actions and attachments: schema in → one service → ticket summary out.

Mounted in api.py. A ticket the user may not see is 404 (``access.access_ticket``), with no hint
that it exists. A refused action is JSON ``{code, message, fields}``: 403 for the role, 409
for the state, 422 for the input. Input schemas carry only what the action needs, so a customer
cannot set priority, owner, team, state, deadlines or the internal flag through extra fields
(api/schemas.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import User
from supportdesk.api.schemas import (
    AssignIn,
    CloseIn,
    CommentIn,
    DeclineIn,
    DiagnosticsIn,
    ErrorOut,
    EscalateIn,
    MergeIn,
    PriorityIn,
    ReasonIn,
    SplitIn,
    TextIn,
    TicketSummaryOut,
    UploadOut,
    WorkMethodIn,
)
from supportdesk.tickets import actions
from supportdesk.tickets import attachments as attachment_files
from supportdesk.tickets.actions import RequestedItem, TicketActionError
from supportdesk.tickets.models import Attachment, PriorityProposal, Ticket, TicketEvent

router = Router(tags=["ticket actions"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
RESPONSES = {200: TicketSummaryOut, **ERRORS}


def summary(ticket: Ticket) -> dict:
    ticket = Ticket.objects.select_related(
        "priority", "level", "owner__user", "work_method", "split_from", "merged_into"
    ).get(pk=ticket.pk)
    proposal = (
        ticket.priority_proposals.select_related("from_priority", "to_priority")
        .filter(state=PriorityProposal.State.PENDING)
        .first()
    )
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "state": ticket.state,
        "close_reason": ticket.close_reason,
        "priority": ticket.priority.code,
        "level": ticket.level.code,
        "owner": str(ticket.owner.user) if ticket.owner else None,
        "escalation_level": ticket.escalation_level,
        "work_method": ticket.work_method.code if ticket.work_method else None,
        "pending_priority_proposal": (
            {
                "id": proposal.pk,
                "side": proposal.side,
                "from_priority": proposal.from_priority.code,
                "to_priority": proposal.to_priority.code,
                "reason": proposal.reason,
            }
            if proposal
            else None
        ),
        "split_from": ticket.split_from.number if ticket.split_from else None,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "registered_at": ticket.registered_at,
        "closed_at": ticket.closed_at,
    }


def _error(error: TicketActionError) -> Status:
    return Status(
        error.status, {"code": error.code, "message": error.message, "fields": error.fields}
    )


def _act(
    request: AuthenticatedRequest, number: str, call: Callable[[Ticket], Ticket], status: int = 200
):
    ticket = access.access_ticket(request.user, number)  # 404 before anything else
    try:
        ticket = call(ticket)
    except TicketActionError as error:
        return _error(error)
    return Status(status, summary(ticket))


@router.post("/tickets/{number}/take", response=RESPONSES, summary="Take the ticket")
def take(request: AuthenticatedRequest, number: str):
    return _act(request, number, lambda t: actions.take_ticket(ticket=t, actor=request.user))


@router.post("/tickets/{number}/assign", response=RESPONSES, summary="Assign or reassign")
def assign(request: AuthenticatedRequest, number: str, payload: AssignIn):
    assignee = User.objects.filter(email__iexact=payload.assignee, agent__isnull=False).first()
    return _act(
        request,
        number,
        lambda t: actions.assign_ticket(
            ticket=t, actor=request.user, assignee=assignee, reason=payload.reason
        ),
    )


@router.post("/tickets/{number}/replies", response=RESPONSES, summary="Public reply")
def reply(request: AuthenticatedRequest, number: str, payload: TextIn):
    """An agent's public reply, or the customer's reply (which answers a diagnostics request)."""
    if access.is_agent(request.user):
        service = actions.add_public_reply
    else:
        service = actions.add_customer_reply
    return _act(request, number, lambda t: service(ticket=t, actor=request.user, body=payload.body))


@router.post("/tickets/{number}/notes", response=RESPONSES, summary="Internal note (agents)")
def note(request: AuthenticatedRequest, number: str, payload: TextIn):
    return _act(
        request,
        number,
        lambda t: actions.add_internal_note(ticket=t, actor=request.user, body=payload.body),
    )


@router.post("/tickets/{number}/diagnostics-requests", response=RESPONSES)
def request_diagnostics(request: AuthenticatedRequest, number: str, payload: DiagnosticsIn):
    items = [RequestedItem(kind=item.kind, text=item.text) for item in payload.items]
    return _act(
        request,
        number,
        lambda t: actions.request_diagnostics(
            ticket=t, actor=request.user, items=items, message=payload.message
        ),
    )


@router.post("/tickets/{number}/solution", response=RESPONSES, summary="Propose the solution")
def propose_solution(request: AuthenticatedRequest, number: str, payload: TextIn):
    return _act(
        request,
        number,
        lambda t: actions.propose_solution(ticket=t, actor=request.user, body=payload.body),
    )


@router.post("/tickets/{number}/confirm", response=RESPONSES, summary="Confirm the solution")
def confirm(request: AuthenticatedRequest, number: str, payload: CommentIn):
    return _act(
        request,
        number,
        lambda t: actions.confirm_solution(ticket=t, actor=request.user, comment=payload.comment),
    )


@router.post("/tickets/{number}/refuse", response=RESPONSES, summary="Refuse with reasons")
def refuse(request: AuthenticatedRequest, number: str, payload: ReasonIn):
    return _act(
        request,
        number,
        lambda t: actions.refuse_solution(ticket=t, actor=request.user, reason=payload.reason),
    )


@router.post("/tickets/{number}/escalate", response=RESPONSES, summary="Request escalation")
def escalate(request: AuthenticatedRequest, number: str, payload: EscalateIn):
    return _act(
        request,
        number,
        lambda t: actions.request_escalation(
            ticket=t,
            actor=request.user,
            reason=payload.reason,
            text=payload.text,
            priority_code=payload.priority,
            priority_reason=payload.priority_reason,
        ),
    )


@router.post("/tickets/{number}/priority-proposals", response=RESPONSES)
def propose_priority(request: AuthenticatedRequest, number: str, payload: PriorityIn):
    return _act(
        request,
        number,
        lambda t: actions.propose_priority_change(
            ticket=t, actor=request.user, priority_code=payload.priority, reason=payload.reason
        ),
    )


@router.post("/tickets/{number}/priority-proposals/{proposal_id}/accept", response=RESPONSES)
def accept_priority(request: AuthenticatedRequest, number: str, proposal_id: int):
    return _act(
        request,
        number,
        lambda t: actions.accept_priority_change(
            ticket=t, actor=request.user, proposal_id=proposal_id
        ),
    )


@router.post("/tickets/{number}/priority-proposals/{proposal_id}/decline", response=RESPONSES)
def decline_priority(
    request: AuthenticatedRequest, number: str, proposal_id: int, payload: DeclineIn
):
    return _act(
        request,
        number,
        lambda t: actions.decline_priority_change(
            ticket=t, actor=request.user, proposal_id=proposal_id, reason=payload.reason
        ),
    )


@router.post("/tickets/{number}/priority-override", response=RESPONSES, summary="Manager only")
def override_priority(request: AuthenticatedRequest, number: str, payload: PriorityIn):
    return _act(
        request,
        number,
        lambda t: actions.override_priority(
            ticket=t, actor=request.user, priority_code=payload.priority, reason=payload.reason
        ),
    )


@router.post("/tickets/{number}/work-method", response=RESPONSES, summary="Agree a work method")
def work_method(request: AuthenticatedRequest, number: str, payload: WorkMethodIn):
    return _act(
        request,
        number,
        lambda t: actions.agree_work_method(
            ticket=t, actor=request.user, method_code=payload.method, note=payload.note
        ),
    )


@router.post(
    "/tickets/{number}/split",
    response={201: TicketSummaryOut, **ERRORS},
    summary="Split into a new ticket (returns the new one)",
)
def split(request: AuthenticatedRequest, number: str, payload: SplitIn):
    return _act(
        request,
        number,
        lambda t: actions.split_ticket(
            ticket=t, actor=request.user, subject=payload.subject, description=payload.description
        ),
        status=201,
    )


@router.post("/tickets/{number}/merge", response=RESPONSES, summary="Merge into another ticket")
def merge(request: AuthenticatedRequest, number: str, payload: MergeIn):
    ticket = access.access_ticket(request.user, number)
    target = access.visible_tickets(request.user).filter(number=payload.target).first()
    if target is None:
        return Status(404, {"code": "not_found", "message": _("Not found."), "fields": ["target"]})
    return _act(
        request,
        ticket.number,
        lambda t: actions.merge_ticket(
            ticket=t, actor=request.user, target=target, reason=payload.reason
        ),
    )


@router.post("/tickets/{number}/reopen", response=RESPONSES, summary="Reopen (agents)")
def reopen(request: AuthenticatedRequest, number: str, payload: ReasonIn):
    return _act(
        request,
        number,
        lambda t: actions.reopen_ticket(ticket=t, actor=request.user, reason=payload.reason),
    )


@router.post("/tickets/{number}/withdraw", response=RESPONSES, summary="Withdraw (customer)")
def withdraw(request: AuthenticatedRequest, number: str, payload: ReasonIn):
    return _act(
        request,
        number,
        lambda t: actions.withdraw_ticket(ticket=t, actor=request.user, reason=payload.reason),
    )


@router.post("/tickets/{number}/close", response=RESPONSES, summary="Close: not entitled, silence")
def close(request: AuthenticatedRequest, number: str, payload: CloseIn):
    return _act(
        request,
        number,
        lambda t: actions.close_ticket(
            ticket=t, actor=request.user, close_reason=payload.close_reason, reason=payload.reason
        ),
    )


class _PostWithFiles(Protocol):
    """What the three services an upload may go to have in common."""

    def __call__(
        self, *, ticket: Ticket, actor: User, body: str, files: Sequence[Any] = ...
    ) -> Ticket: ...


@router.post(
    "/tickets/{number}/attachments",
    response={201: UploadOut, **ERRORS},
    summary="Upload files with an optional message",
)
def upload(
    request: AuthenticatedRequest,
    number: str,
    files: File[list[UploadedFile]],
    body: Form[str] = "",
    internal: Form[bool] = False,
):
    """A customer's upload is a customer reply (it answers a diagnostics request); an agent's is a
    public reply, or an internal note with ``internal=true``. Refused files are listed in
    ``rejected`` with the reason; the message and the accepted files are kept."""
    ticket = access.access_ticket(request.user, number)
    service: _PostWithFiles
    if not access.is_agent(request.user):
        service, kind = actions.add_customer_reply, TicketEvent.Kind.CUSTOMER_REPLY
    elif internal:
        service, kind = actions.add_internal_note, TicketEvent.Kind.INTERNAL_NOTE
    else:
        service, kind = actions.add_public_reply, TicketEvent.Kind.PUBLIC_REPLY
    try:
        ticket = service(ticket=ticket, actor=request.user, body=body, files=files)
    except TicketActionError as error:
        return _error(error)
    event = TicketEvent.objects.filter(ticket=ticket, actor=request.user, kind=kind).latest("id")
    return Status(
        201,
        {
            "ticket": summary(ticket),
            "attachments": [
                {
                    "id": a.pk,
                    "name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                }
                for a in event.attachments.order_by("id")
            ],
            "rejected": event.data.get("rejected_files", []),
        },
    )


@router.get(
    "/attachments/{attachment_id}",
    response={400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Download a file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as a download",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download(request: AuthenticatedRequest, attachment_id: int):
    """The file as a download, after the permission check; 404 for anything the user may not
    see (another organization's ticket, an internal note's file for a customer)."""
    attachment: Attachment = access.get_attachment_for_user(request.user, attachment_id)
    return attachment_files.attachment_response(attachment, user=request.user)
