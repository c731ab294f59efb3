"""REST API under /api/v1 (django-ninja); OpenAPI at /api/v1/openapi.json.

Handlers are schema in → one service or access query → schema out. Errors are JSON
``{"code": ..., "message": ..., "fields": [...]}`` with a translated message.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.api.models import ApiToken, hash_token
from supportdesk.api.schemas import (
    ContractOut,
    ErrorOut,
    RegistrationIn,
    TicketDetailOut,
    TicketFilter,
    TicketOut,
    TicketPage,
)
from supportdesk.catalog.models import Product
from supportdesk.contracts.entitlements import allowed_channel_rules, contract_status, hotlines_for
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import TicketState
from supportdesk.tickets.queries import decode_cursor, encode_cursor
from supportdesk.tickets.registration import (
    RegistrationRefused,
    RegistrationRequest,
    register_ticket,
)

# A token's last use is written at most this often: not one UPDATE per API call.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        # The user comes with their contact or agent row (either may be absent), which every
        # handler asks for through access.contact_of / agent_of: one query for all three.
        row = (
            ApiToken.objects.select_related("user__contact", "user__agent")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        # The middleware saw no session user: answer in the account's language, as the pages do.
        translation.activate(row.user.language)
        request.LANGUAGE_CODE = row.user.language
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
    products = Product.objects.select_related("line")
    product = products.filter(code=payload.product).first() if payload.product else None
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
    # The registered ticket carries its priority, product, level and organization already.
    return Status(201, TicketOut.from_ticket(ticket))


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
        after = decode_cursor(filters.cursor)
        if after is None or after[0] is None:
            return _error(request, 422, "invalid_cursor", _("The cursor is not valid."), ["cursor"])
        at, pk = after
        # The redundant bound lets the index scan start at the cursor (see bench/README.md).
        tickets = tickets.filter(registered_at__lte=at).filter(
            Q(registered_at__lt=at) | Q(registered_at=at, pk__lt=pk)
        )
    limit = filters.limit
    page = list(tickets.order_by("-registered_at", "-id")[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        last = page[limit - 1]
        next_cursor = encode_cursor(last.registered_at, last.pk)
    return {"items": [TicketOut.from_ticket(t) for t in page[:limit]], "next_cursor": next_cursor}


@api.get("/tickets/{number}", response={200: TicketDetailOut, 401: ErrorOut, 404: ErrorOut})
def get_ticket(request: AuthenticatedRequest, number: str):
    ticket = access.access_ticket(
        request.user, number, related=(*RELATED, "contract", "license_key")
    )
    events = access.timeline_events(ticket, request.user)
    data = TicketOut.from_ticket(ticket)
    data["description"] = ticket.description
    data["support_id"] = ticket.contract.support_id
    data["license_key"] = ticket.license_key.key if ticket.license_key else None
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
    now = timezone.now()
    contracts = access.visible_contracts(request.user).select_related(
        "regulation__calendar", "level"
    )
    return [
        {
            "support_id": c.support_id,
            "regulation": c.regulation.code,
            "level": c.level.code,
            "valid_from": c.valid_from,
            "valid_to": c.valid_to,
            "active": contract_status(c, now) == "active",
            "products": [p.code for p in c.products.all()],
            "channels": sorted({r.channel for r in allowed_channel_rules(level=c.level)}),
            "hotlines": [f"{h.country} {h.number}" for h in hotlines_for(level=c.level)],
        }
        for c in contracts.prefetch_related("products")
    ]


api.add_router("", "supportdesk.api.actions.router")  # ticket actions and attachments
