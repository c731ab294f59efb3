"""REST API under /api/v1 (django-ninja); OpenAPI at /api/v1/openapi.json.

Handlers are schema in → one service or access query → schema out. Errors are JSON
``{"code": ..., "message": ..., "fields": [...]}`` with a translated message.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from supportdesk.accounts import access
from supportdesk.accounts.access import AuthenticatedRequest
from supportdesk.api.models import ApiToken, hash_token
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import allowed_channel_rules, hotlines_for
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import Ticket, TicketState
from supportdesk.tickets.services import RegistrationRefused, RegistrationRequest, register_ticket


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="supportdesk",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    description="Tickets, contracts and entitlements. Authenticate with `Authorization: Bearer "
    "<token>` (tokens are created on the portal's API tokens page or with "
    "`supportdesk create_api_token`).",
)


class ErrorOut(Schema):
    code: str
    message: str
    fields: list[str] = []


def _error(request: HttpRequest, status: int, code: str, message: str, fields=None):
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or []}, status=status
    )


@api.exception_handler(RegistrationRefused)
def _refused(request, exc: RegistrationRefused):
    return _error(request, 422, exc.reason, exc.message, exc.fields)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return _error(request, 401, "unauthorized", _("Authentication required: send a valid token."))


# Names of the handler arguments that carry a whole schema; a field is named without them.
SCHEMA_ARGUMENTS = {"payload", "filters"}


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    """422 naming the top-level fields at fault (``loc`` is (source, [argument,] field, ...))."""
    fields = set()
    for error in exc.errors:
        path = [str(part) for part in error.get("loc", [])[1:] if part not in SCHEMA_ARGUMENTS]
        fields.add(path[0] if path else "body")
    return _error(request, 422, "invalid", _("The request is not valid."), sorted(fields))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return _error(
            request, 400, "bad_request", _("The request body could not be read: send valid JSON.")
        )
    return _error(request, exc.status_code, "error", str(exc))


class RegistrationIn(Schema):
    support_id: str = ""
    support_contact_id: str = ""
    license_key: str = ""
    product: str = ""
    version: str = ""
    os_version: str = ""
    service_pack: str = ""
    subject: str = ""
    description: str = ""
    priority: str = ""


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
    timeline: list[EventOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


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


RELATED = ("priority", "product", "level", "organization")


@api.post(
    "/tickets",
    response={201: TicketOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Register a ticket",
)
def create_ticket(request: AuthenticatedRequest, payload: RegistrationIn):
    contact = access.contact_of(request.user)
    if contact is None:
        return _error(
            request, 403, "forbidden", _("Only customer contacts register tickets through the API.")
        )
    product = Product.objects.filter(code=payload.product).first() if payload.product else None
    if payload.product and product is None:
        return _error(
            request,
            422,
            "unknown_product",
            _("Unknown product code: %s") % payload.product,
            ["product"],
        )
    ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.API,
            requested_by=request.user,
            contact=contact,
            support_id=payload.support_id,
            support_contact_id=payload.support_contact_id,
            license_key=payload.license_key,
            product=product,
            version=payload.version,
            os_version=payload.os_version,
            service_pack=payload.service_pack,
            subject=payload.subject,
            description=payload.description,
            priority_code=payload.priority,
        )
    )
    ticket = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)
    return Status(201, TicketOut.from_ticket(ticket))


class TicketFilter(Schema):
    state: TicketState | Literal["open"] | None = Field(
        None, description="A state, or `open` for every state but closed."
    )
    priority: str | None = Field(None, description="Priority code, e.g. `p1`.")
    product: str | None = Field(None, description="Product code.")
    organization: int | None = Field(None, description="Organization id (agents).")
    mine: bool = Field(
        False, description="Only tickets I registered or am the contact of; agents: that I own."
    )
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


def _encode_cursor(ticket: Ticket) -> str:
    """An opaque, URL-safe position: registration instant in microseconds and the id."""
    return f"{(ticket.registered_at - EPOCH) // MICROSECOND}_{ticket.pk}"


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, int]:
    micros, pk = (int(part) for part in cursor.split("_"))
    return EPOCH + micros * MICROSECOND, pk


@api.get(
    "/tickets",
    response={200: TicketPage, 401: ErrorOut, 422: ErrorOut},
    summary="Tickets I may see",
)
def list_tickets(request: AuthenticatedRequest, filters: Query[TicketFilter]):
    """Newest first, keyset-paginated: pass ``next_cursor`` back as ``cursor``."""
    tickets = access.visible_tickets(request.user).select_related(*RELATED)
    if filters.state == "open":
        tickets = tickets.exclude(state=TicketState.CLOSED)
    elif filters.state:
        tickets = tickets.filter(state=filters.state)
    if filters.priority:
        tickets = tickets.filter(priority__code=filters.priority)
    if filters.product:
        tickets = tickets.filter(product__code=filters.product)
    if filters.organization:
        tickets = tickets.filter(organization_id=filters.organization)
    if filters.mine:
        agent = access.agent_of(request.user)
        tickets = (
            tickets.filter(owner=agent) if agent else tickets.filter(contact__user=request.user)
        )
    if filters.cursor:
        try:
            at, pk = _decode_cursor(filters.cursor)
        except (ValueError, OverflowError):
            return _error(request, 422, "invalid_cursor", _("The cursor is not valid."), ["cursor"])
        # The redundant bound lets the index scan start at the cursor (see bench/README.md).
        tickets = tickets.filter(registered_at__lte=at).filter(
            Q(registered_at__lt=at) | Q(registered_at=at, pk__lt=pk)
        )
    limit = filters.limit
    page = list(tickets.order_by("-registered_at", "-id")[: limit + 1])
    next_cursor = _encode_cursor(page[limit - 1]) if len(page) > limit else None
    return {"items": [TicketOut.from_ticket(t) for t in page[:limit]], "next_cursor": next_cursor}


@api.get("/tickets/{number}", response={200: TicketDetailOut, 401: ErrorOut, 404: ErrorOut})
def get_ticket(request: AuthenticatedRequest, number: str):
    ticket = access.get_ticket_for_user(request.user, number)
    ticket = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)
    events = ticket.events.select_related("actor").order_by("created_at", "id")
    if not access.is_agent(request.user):
        events = events.filter(is_internal=False)
    data = TicketOut.from_ticket(ticket)
    data["description"] = ticket.description
    data["timeline"] = [
        {
            "at": event.created_at,
            "kind": event.kind,
            "actor": str(event.actor) if event.actor else None,
            "body": event.body,
            "internal": event.is_internal,
        }
        for event in events
    ]
    return data


@api.get(
    "/contracts",
    response={200: list[ContractOut], 401: ErrorOut},
    summary="My contracts and entitlements",
)
def list_contracts(request: AuthenticatedRequest):
    today = timezone.localdate()
    contracts = access.visible_contracts(request.user).select_related("regulation", "level")
    return [
        {
            "support_id": c.support_id,
            "regulation": c.regulation.code,
            "level": c.level.code,
            "valid_from": c.valid_from,
            "valid_to": c.valid_to,
            "active": c.is_active_on(today),
            "products": [p.code for p in c.products.all()],
            "channels": sorted({r.channel for r in allowed_channel_rules(level=c.level)}),
            "hotlines": [f"{h.country} {h.number}" for h in hotlines_for(level=c.level)],
        }
        for c in contracts.prefetch_related("products")
    ]


api.add_router("", "supportdesk.api.actions.router")  # ticket actions and attachments
