"""Joining an organization. Nobody joins on their own word: an organization administrator
invites by e-mail (the link expires and can be revoked) or approves a request to join that a
signed-up user made with the organization's Support ID. Each step writes its e-mail to the
outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact, Organization, User
from supportdesk.contracts.models import Contract
from supportdesk.membership.models import Invitation, JoinRequest
from supportdesk.outbox.services import enqueue_email

INVITATION_DAYS = 7


class MembershipError(Exception):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _admin_contact(user: User) -> Contact:
    contact = Contact.objects.filter(user=user, is_org_admin=True).first()
    if contact is None:
        raise MembershipError(_("Only an organization administrator may do this."))
    return contact


def _has_organization(user: User) -> bool:
    return Contact.objects.filter(user=user).exists()


# --- Invitations ----------------------------------------------------------------------------


def invite_colleague(
    *, admin: User, email: str, now: dt.datetime | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` to the admin's organization; returns the invitation and the link."""
    now = now or timezone.now()
    contact = _admin_contact(admin)
    email = email.strip().lower()
    if Contact.objects.filter(user__email__iexact=email).exists():
        raise MembershipError(
            _("%(email)s already belongs to an organization.") % {"email": email}, field="email"
        )
    token = secrets.token_urlsafe(32)
    link = _site_url(reverse("join_accept", args=[token]))
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=contact.organization,
            email=email,
            token_hash=hash_token(token),
            invited_by=admin,
            created_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS),
        )
        enqueue_email(
            template="organization_invitation",
            recipients=[email],
            language=admin.language,
            context={"invitation": invitation, "link": link, "inviter": admin},
        )
    return invitation, link


def revoke_invitation(*, admin: User, invitation_id: int, now: dt.datetime | None = None) -> None:
    contact = _admin_contact(admin)
    updated = Invitation.objects.filter(
        pk=invitation_id,
        organization_id=contact.organization_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now or timezone.now())
    if not updated:
        raise MembershipError(_("This invitation is no longer open."))


def open_invitations(organization: Organization, now: dt.datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def invitation_for(token: str, now: dt.datetime) -> Invitation | None:
    """The open invitation behind a link's token, or None (unknown, used, revoked, expired)."""
    return (
        Invitation.objects.select_related("organization")
        .filter(
            token_hash=hash_token(token),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .first()
    )


def accept_invitation(*, user: User, token: str, now: dt.datetime | None = None) -> Contact:
    """The invited person, signed in with the invited address, joins the organization."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = invitation_for(token, now)
        if invitation is None:
            raise MembershipError(
                _("This invitation link has expired or was revoked. Ask for a new one.")
            )
        if user.email.lower() != invitation.email.lower():
            raise MembershipError(
                _("This invitation is for %(email)s. Sign in with that address.")
                % {"email": invitation.email}
            )
        if _has_organization(user):
            raise MembershipError(_("Your account already belongs to an organization."))
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise MembershipError(_("This invitation was already used."))
        locked.accepted_at, locked.accepted_by = now, user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        contact = Contact.objects.create(user=user, organization=invitation.organization)
        JoinRequest.objects.filter(user=user, state=JoinRequest.State.PENDING).update(
            state=JoinRequest.State.DECLINED, decided_at=now
        )
    return contact


# --- Requests to join -----------------------------------------------------------------------


def request_to_join(
    *, user: User, support_id: str, message: str = "", now: dt.datetime | None = None
) -> JoinRequest:
    """A signed-up user asks to join the organization that holds contract ``support_id``; the
    organization's administrators are told and decide. Never granted automatically."""
    now = now or timezone.now()
    if _has_organization(user):
        raise MembershipError(_("Your account already belongs to an organization."))
    contract = Contract.objects.select_related("organization").filter(
        support_id__iexact=support_id.strip()
    )
    found = contract.first()
    if found is None:
        raise MembershipError(
            _("There is no contract with Support ID %(id)s. Check it in your contract papers.")
            % {"id": support_id.strip()},
            field="support_id",
        )
    organization = found.organization
    admins = list(
        Contact.objects.filter(organization=organization, is_org_admin=True).select_related("user")
    )
    try:
        with transaction.atomic():
            join = JoinRequest.objects.create(
                user=user, organization=organization, message=message.strip(), created_at=now
            )
            for admin in admins:
                enqueue_email(
                    template="join_requested",
                    recipients=[admin.user.email],
                    language=admin.user.language,
                    context={
                        "join": join,
                        "applicant": user,
                        "link": _site_url(reverse("organization")),
                    },
                )
    except IntegrityError:
        raise MembershipError(
            _("Your request is already waiting for the organization's administrator.")
        ) from None
    return join


def pending_requests(organization: Organization) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(
        organization=organization, state=JoinRequest.State.PENDING
    ).select_related("user")


def decide_join_request(
    *, admin: User, join_id: int, approve: bool, now: dt.datetime | None = None
) -> JoinRequest:
    now = now or timezone.now()
    contact = _admin_contact(admin)
    with transaction.atomic():
        join = (
            JoinRequest.objects.select_for_update()
            .select_related("user")
            .filter(
                pk=join_id,
                organization_id=contact.organization_id,
                state=JoinRequest.State.PENDING,
            )
            .first()
        )
        if join is None:
            raise MembershipError(_("This request is no longer waiting."))
        if approve and _has_organization(join.user):
            raise MembershipError(_("This person already belongs to an organization."))
        join.state = JoinRequest.State.APPROVED if approve else JoinRequest.State.DECLINED
        join.decided_by, join.decided_at = admin, now
        join.save(update_fields=["state", "decided_by", "decided_at"])
        if approve:
            Contact.objects.create(user=join.user, organization=join.organization)
        enqueue_email(
            template="join_decided",
            recipients=[join.user.email],
            language=join.user.language,
            context={"join": join, "approved": approve, "link": _site_url(reverse("home"))},
        )
    return join
