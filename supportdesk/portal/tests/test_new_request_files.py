"""Files and keys at registration: uploads on the new-request form (same rules as replies),
license keys on the contracts page and prefilled on the form."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportdesk.portal.tests.helpers import png_file
from supportdesk.portal.tests.test_views import NOW, alpha_form, beta_form, login
from supportdesk.regulations.models import Channel
from supportdesk.tickets.models import Attachment, RefusedRegistration, Ticket, TicketEvent
from supportdesk.tickets.registration import RegistrationRequest, register_ticket


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_files_sent_with_a_new_request_are_attached_to_its_registration(client, cast):
    login(client, cast.customer_alpha)
    log = SimpleUploadedFile("client.log", b"2026-03-10 10:00 definitions failed\n")
    data = {**alpha_form(cast), "attachments": [png_file(), log]}
    response = client.post(reverse("ticket_new"), data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    registered = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REGISTERED)
    files = Attachment.objects.filter(ticket=ticket, event=registered).order_by("original_name")
    assert [(f.original_name, f.content_type) for f in files] == [
        ("client.log", "text/plain"),
        ("screenshot.png", "image/png"),
    ]
    assert all(f.uploaded_by_id == cast.customer_alpha.pk for f in files)
    # The customer sees them on the request's page.
    page = client.get(reverse("ticket_detail", args=[ticket.number])).content.decode()
    assert "screenshot.png" in page and "client.log" in page


def test_a_refused_file_is_told_and_nothing_is_registered(client, cast):
    login(client, cast.customer_alpha)
    program = SimpleUploadedFile("setup.txt", b"MZ\x90\x00\x03" + bytes(range(256)) * 4)
    response = client.post(reverse("ticket_new"), {**alpha_form(cast), "attachments": [program]})
    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    assert "setup.txt" in errors[0]
    assert not Ticket.objects.exists()
    assert not RefusedRegistration.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_over_the_regulation_limit_says_the_limit(client, cast):
    regulation = cast.contract_alpha.regulation
    regulation.max_attachment_mb = 1
    regulation.save(update_fields=["max_attachment_mb"])
    login(client, cast.customer_alpha)
    big = SimpleUploadedFile("big.log", b"x" * (1024 * 1024 + 1))
    response = client.post(reverse("ticket_new"), {**alpha_form(cast), "attachments": [big]})
    assert response.status_code == 200
    [error] = response.context["form"].errors["attachments"]
    assert "big.log" in error and "максимальный размер — 1 МБ" in error
    assert not Ticket.objects.exists()
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_the_service_keeps_the_request_and_lists_a_refused_file(cast):
    ticket = register_ticket(
        request=RegistrationRequest(
            channel=Channel.API,
            requested_by=cast.customer_alpha,
            contact=cast.customer_alpha.contact,
            support_contact_id="SC-1001",
            product=cast.product_sep,
            version="14.3",
            os_version="Windows",
            service_pack="-",
            description="Broken.",
            priority_code="p3",
            files=(png_file(), SimpleUploadedFile("empty.log", b"")),
        )
    )
    registered = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REGISTERED)
    assert [a.original_name for a in registered.attachments.all()] == ["screenshot.png"]
    assert [r["code"] for r in registered.data["rejected_files"]] == ["empty"]


def test_the_contracts_page_lists_license_keys_and_products(client, cast):
    login(client, cast.customer_beta)
    page = client.get(reverse("contracts")).content.decode()
    assert cast.license_key_beta.key in page
    assert cast.license_key_beta.product.name in page
    assert f"license_key={cast.license_key_beta.key}" in page


def test_the_key_is_prefilled_on_the_new_request_form(client, cast):
    login(client, cast.customer_beta)
    contract = cast.contract_beta
    keys = list(contract.license_keys.values_list("key", flat=True))
    form = client.get(reverse("ticket_new") + f"?contract={contract.pk}").context["form"]
    if len(keys) == 1:
        assert form["license_key"].value() == keys[0]
    chosen = client.get(
        reverse("ticket_new") + f"?contract={contract.pk}&license_key={keys[0]}"
    ).context["form"]
    assert chosen["license_key"].value() == keys[0]
    html = client.get(reverse("ticket_new") + f"?contract={contract.pk}").content.decode()
    assert 'list="license-keys"' in html and 'id="license-keys"' in html
    # A key of another contract is not filled in.
    other = client.get(
        reverse("ticket_new") + f"?contract={contract.pk}&license_key=NOT-A-KEY"
    ).context["form"]
    assert other["license_key"].value() in (None, "", *keys[:1])


def test_a_registration_with_the_prefilled_key_goes_through(client, cast):
    login(client, cast.customer_beta)
    response = client.post(reverse("ticket_new"), beta_form(cast, attachments=[png_file()]))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.license_key == cast.license_key_beta
    assert ticket.attachments.count() == 1
