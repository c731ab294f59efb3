"""Joining an organization: invitations by the organization administrator, requests to join by
Support ID that the administrators decide, and what a user without an organization sees."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from supportdesk.accounts.models import Contact, User
from supportdesk.membership import services
from supportdesk.membership.models import JoinRequest
from supportdesk.membership.services import MembershipError
from supportdesk.outbox.models import OutboxMessage


@pytest.fixture
def newcomer(db) -> User:
    return User.objects.create_user("newcomer@alpha.example", password="a-long-password-1")


def test_an_invitation_link_joins_the_invited_address_once(client, cast, newcomer):
    invitation, link = services.invite_colleague(admin=cast.orgadmin_alpha, email=newcomer.email)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    mail = OutboxMessage.objects.get(template="organization_invitation")
    assert mail.recipients == [newcomer.email] and link in mail.body_text
    assert invitation.token_hash != token  # only the hash is stored

    with pytest.raises(MembershipError):
        services.accept_invitation(user=cast.customer_beta, token=token)  # another address
    contact = services.accept_invitation(user=newcomer, token=token)

    assert (contact.organization, contact.is_org_admin) == (cast.alpha, False)
    with pytest.raises(MembershipError):
        services.accept_invitation(user=newcomer, token=token)


def test_an_invitation_expires_and_can_be_revoked(cast, newcomer):
    invitation, link = services.invite_colleague(admin=cast.orgadmin_alpha, email=newcomer.email)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=8)),
        pytest.raises(MembershipError),
    ):
        services.accept_invitation(user=newcomer, token=token)

    other, other_link = services.invite_colleague(
        admin=cast.orgadmin_alpha, email="x@alpha.example"
    )
    services.revoke_invitation(admin=cast.orgadmin_alpha, invitation_id=other.pk)
    assert (
        services.invitation_for(other_link.rstrip("/").rsplit("/", 1)[-1], timezone.now()) is None
    )
    with pytest.raises(MembershipError):  # only the organization's administrators revoke
        services.revoke_invitation(admin=cast.customer_alpha, invitation_id=invitation.pk)


def test_a_request_to_join_goes_to_the_admins_and_is_never_automatic(client, cast, newcomer):
    join = services.request_to_join(user=newcomer, support_id="sym-100200", message="I am Ivan's")

    assert join.organization == cast.alpha
    assert not Contact.objects.filter(user=newcomer).exists()
    mail = OutboxMessage.objects.get(template="join_requested")
    assert mail.recipients == ["anna@alpha.example"]
    with pytest.raises(MembershipError):
        services.request_to_join(user=newcomer, support_id="SYM-100200")
    with pytest.raises(MembershipError):  # another organization's admin cannot decide
        services.decide_join_request(admin=cast.customer_beta, join_id=join.pk, approve=True)

    client.force_login(cast.orgadmin_alpha)
    assert client.get(reverse("organization")).context["requests"][0] == join
    client.post(reverse("join_decide", args=[join.pk]), {"decision": "approve"})

    join.refresh_from_db()
    assert join.state == JoinRequest.State.APPROVED
    assert Contact.objects.get(user=newcomer).organization == cast.alpha
    assert OutboxMessage.objects.filter(template="join_decided", recipients=[newcomer.email])


def test_an_unknown_support_id_is_refused_with_the_reason(client, newcomer, cast):
    client.force_login(newcomer)

    response = client.post(reverse("join"), {"support_id": "NOPE-1"})

    assert response.status_code == 200
    assert response.context["form"].errors["support_id"]
    assert JoinRequest.objects.count() == 0


def test_a_user_without_an_organization_sees_what_to_do_and_no_forbidden_menu(
    client, cast, newcomer
):
    client.force_login(newcomer)

    page = client.get("/")

    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("join") in html
    for name in ("ticket_list", "ticket_new", "contracts", "organization"):
        assert f'href="{reverse(name)}"' not in html, name


def test_only_organization_admins_have_the_organization_page(client, cast):
    client.force_login(cast.customer_alpha)
    assert client.get(reverse("organization")).status_code == 403
    client.force_login(cast.orgadmin_alpha)
    assert client.get(reverse("organization")).status_code == 200
