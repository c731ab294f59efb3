"""Faults found walking both regulations as a new user, each pinned by what the page shows."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.tests.helpers import ngfw_ticket, sep_ticket


def test_contracts_page_prints_priority_criteria_as_text(client, cast):
    client.force_login(cast.customer_alpha)

    page = client.get(reverse("contracts")).content.decode()

    assert "{&#x27;name&#x27;" not in page and "{'name'" not in page
    assert "<dt>Критический</dt>" in page
    assert "обходного решения нет" in page


def test_contracts_page_names_the_product_line_in_the_users_language(client, cast):
    client.force_login(cast.customer_alpha)  # Russian
    page = client.get(reverse("contracts")).content.decode()
    assert "Veritas products" not in page
    assert "(только для линейки «Продукты Veritas»)" in page

    cast.customer_alpha.language = "en"
    cast.customer_alpha.save(update_fields=["language"])
    assert "(only for Veritas products)" in client.get(reverse("contracts")).content.decode()


def test_engineer_sees_the_license_key_on_the_ticket_page(client, cast):
    ticket = ngfw_ticket(cast)
    client.force_login(cast.engineer)

    page = client.get(reverse("workspace:ticket", args=[ticket.number])).content.decode()

    assert "UGNGFW-7A1C-92F0-4D1B" in page


def test_customer_list_filters_read_as_one_series(client, cast):
    client.force_login(cast.customer_alpha)

    response = client.get(reverse("ticket_list"))

    assert [label for _, label in response.context["state_filters"]] == [
        "Открытые",
        "Закрытые",
        "Все",
    ]


def test_outbox_message_page_labels_the_ticket_as_a_noun(client, cast):
    sep_ticket(cast)
    message = OutboxMessage.objects.filter(ticket__isnull=False).first()
    assert message is not None
    client.force_login(cast.manager)

    page = client.get(reverse("workspace:outbox_message"), {"id": message.pk}).content.decode()

    assert "<dt>Запрос</dt>" in page
    assert "Запросить" not in page


def test_russian_admin_names_the_regulation_column(client, cast):
    client.force_login(cast.administrator)
    cast.administrator.language = "ru"
    cast.administrator.save(update_fields=["language"])

    page = client.get(reverse("admin:regulations_priority_changelist")).content.decode()

    assert "Регламент" in page
    assert ">Regulation<" not in page


def test_first_sign_in_message_is_in_the_accounts_language(client, cast):
    user = cast.customer_alpha  # Russian account, English browser
    user.set_password("a-long-password-1")
    user.save()

    response = client.post(
        "/accounts/login/",
        {"login": user.email, "password": "a-long-password-1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(text.startswith("Успешный вход") for text in texts), texts
