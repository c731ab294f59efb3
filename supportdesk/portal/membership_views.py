"""Joining an organization, on the portal: the organization administrator's page (invite,
revoke, approve or decline requests), a signed-up user's request to join by Support ID, and the
invitation link."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportdesk import access
from supportdesk.access import AuthenticatedRequest
from supportdesk.accounts.models import Contact
from supportdesk.membership import services
from supportdesk.membership.models import JoinRequest
from supportdesk.membership.services import MembershipError


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Colleague's e-mail"))


class JoinForm(forms.Form):
    support_id = forms.CharField(
        label=gettext_lazy("Support ID of your organization"), max_length=40
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the administrator (optional)"),
        max_length=500,
        required=False,
    )


def _org_admin_or_403(request: AuthenticatedRequest) -> Contact:
    contact = access.contact_of(request.user)
    if contact is None or not contact.is_org_admin:
        raise PermissionDenied
    return contact


def newcomer_page(request: HttpRequest, form: JoinForm | None = None) -> HttpResponse:
    """What a signed-in user without an organization does next."""
    requests = JoinRequest.objects.none()
    if request.user.is_authenticated:
        requests = JoinRequest.objects.filter(user_id=request.user.pk)
    context = {
        "form": form or JoinForm(),
        "requests": requests.select_related("organization")[:10],
    }
    return render(request, "portal/home.html", context)


@login_required
@require_POST
def join(request: AuthenticatedRequest) -> HttpResponse:
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            services.request_to_join(
                user=request.user,
                support_id=form.cleaned_data["support_id"],
                message=form.cleaned_data["message"],
            )
        except MembershipError as error:
            form.add_error(error.field or None, error.message)
        else:
            messages.success(
                request, _("Your request is sent to the organization's administrators.")
            )
            return redirect("home")
    return newcomer_page(request, form)


@login_required
def organization(request: AuthenticatedRequest, form: InviteForm | None = None) -> HttpResponse:
    contact = _org_admin_or_403(request)
    now = timezone.now()
    context = {
        "organization": contact.organization,
        "members": Contact.objects.filter(organization=contact.organization)
        .select_related("user")
        .order_by("user__last_name", "user__email"),
        "invitations": services.open_invitations(contact.organization, now),
        "requests": services.pending_requests(contact.organization),
        "form": form or InviteForm(),
    }
    return render(request, "portal/organization.html", context)


@login_required
@require_POST
def invite(request: AuthenticatedRequest) -> HttpResponse:
    _org_admin_or_403(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invite_colleague(admin=request.user, email=form.cleaned_data["email"])
        except MembershipError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, _("The invitation is sent."))
            return redirect("organization")
    return organization(request, form)


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _org_admin_or_403(request)
    try:
        services.revoke_invitation(admin=request.user, invitation_id=pk)
    except MembershipError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation is revoked."))
    return redirect("organization")


@login_required
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _org_admin_or_403(request)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_join_request(admin=request.user, join_id=pk, approve=approve)
    except MembershipError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Approved.") if approve else _("Declined."))
    return redirect("organization")


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: sign in (or sign up) with the invited address, then join."""
    now = timezone.now()
    invitation = services.invitation_for(token, now)
    if not request.user.is_authenticated:
        return render(request, "portal/invitation.html", {"invitation": invitation}, status=200)
    if request.method == "POST":
        try:
            services.accept_invitation(user=request.user, token=token)
        except MembershipError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Welcome: you now belong to your organization."))
            return redirect("ticket_list")
    return render(request, "portal/invitation.html", {"invitation": invitation})
