"""The dispatcher's console: look a caller up by phone, Support ID, Support Contact ID or license
key, check the organization's contracts while the caller is on the line, register on their
behalf."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Contact, ContactPhone, Organization, normalize_phone
from supportdesk.contracts.entitlements import contract_status
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.inputs import parse_id
from supportdesk.regulations.models import Channel
from supportdesk.tickets.registration import RegistrationRefused, register_ticket
from supportdesk.workspace.forms import LookupForm, PhoneRequestForm


def find_callers(query: str) -> dict[int, dict]:
    """Organizations a caller may belong to, by phone, Support ID, Support Contact ID or key.

    Returns ``{organization_id: hints}``; the hints prefill the registration form with what the
    match already tells (the contact behind a phone number, the contract behind a Support ID).
    """
    query = query.strip()
    found: dict[int, dict] = {}
    digits = normalize_phone(query)
    if len(digits) >= 5:
        numbers = {digits}
        if len(digits) == 11 and digits[0] == "8":
            numbers.add("7" + digits[1:])  # Russian trunk prefix: 8 495 … is +7 495 …
        for phone in ContactPhone.objects.filter(normalized__in=numbers).select_related("contact"):
            found.setdefault(phone.contact.organization_id, {}).update(
                contact=phone.contact_id,
                support_contact_id=phone.contact.support_contact_id or "",
            )
    if not query:
        return found
    for contract in Contract.objects.filter(support_id__iexact=query):
        found.setdefault(contract.organization_id, {})["support_id"] = contract.support_id
    for contact in Contact.objects.filter(support_contact_id__iexact=query):
        found.setdefault(contact.organization_id, {}).update(
            contact=contact.pk, support_contact_id=contact.support_contact_id
        )
    for key in LicenseKey.objects.filter(key__iexact=query).select_related("contract"):
        found.setdefault(key.contract.organization_id, {}).update(
            license_key=key.key, support_id=key.contract.support_id, product=key.product_id
        )
    return found


def organization_card(organization: Organization) -> dict:
    """What the dispatcher checks while the caller is on the line."""
    now = timezone.now()
    contracts = (
        Contract.objects.filter(organization=organization)
        .select_related("level", "regulation__calendar")
        .prefetch_related(
            "products",
            Prefetch("license_keys", queryset=LicenseKey.objects.select_related("product")),
        )
        .order_by("-valid_to")
    )
    contacts = (
        Contact.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related("phones")
        .order_by("user__last_name", "user__email")
    )
    return {
        "organization": organization,
        "contacts": contacts,
        "contracts": [
            {"contract": contract, "active": contract_status(contract, now) == "active"}
            for contract in contracts
        ],
    }


def _dispatcher_or_403(request: AuthenticatedRequest) -> None:
    if not access.can_register_for_others(request.user):
        raise PermissionDenied


@login_required
def dispatch(request: AuthenticatedRequest) -> HttpResponse:
    _dispatcher_or_403(request)
    source = request.POST if request.method == "POST" else request.GET
    lookup = LookupForm(request.GET if "q" in request.GET else None)
    organization = None
    candidates: list[Organization] = []
    hints: dict = {}
    org_id = parse_id(source.get("organization") or request.GET.get("org"))
    if org_id is not None:
        organization = Organization.objects.filter(pk=org_id).first()
        if organization is None:
            raise Http404
    elif lookup.is_valid():
        found = find_callers(lookup.cleaned_data["q"])
        candidates = list(Organization.objects.filter(pk__in=found).order_by("name"))
        if len(candidates) == 1:
            organization = candidates[0]
            hints = found[organization.pk]

    form = None
    refusal = None
    if organization is not None:
        form = PhoneRequestForm(
            request.POST if request.method == "POST" else None,
            organization=organization,
            initial=hints,
        )
        if request.method == "POST" and form.is_valid():
            try:
                ticket = register_ticket(
                    request=form.registration_request(
                        channel=Channel.PHONE,
                        requested_by=request.user,
                        contact=form.cleaned_data["contact"],
                    )
                )
            except RegistrationRefused as e:
                refusal = e.message
                for name in e.fields:
                    if name in form.fields:
                        form.add_error(name, _("Please check this field."))
            else:
                messages.success(
                    request,
                    _("Registered as %(number)s. Read this number to the caller.")
                    % {"number": ticket.number},
                )
                query = urlencode({"org": str(organization.pk), "registered": ticket.number})
                return redirect(f"{reverse('workspace:dispatch')}?{query}")

    registered = None
    if request.GET.get("registered"):
        registered = (
            access.visible_tickets(request.user).filter(number=request.GET["registered"]).first()
        )
    context = {
        "lookup": lookup,
        "searched": lookup.is_bound,
        "candidates": candidates,
        "card": organization_card(organization) if organization else None,
        "form": form,
        "refusal_message": refusal,
        "registered": registered,
    }
    return render(request, "workspace/dispatch.html", context)
