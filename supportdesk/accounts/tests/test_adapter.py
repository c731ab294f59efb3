from django.core import mail

from supportdesk.outbox.models import OutboxMessage


def test_password_reset_mail_goes_through_the_outbox(client, cast):
    response = client.post("/accounts/password/reset/", {"email": "ivan@alpha.example"})

    assert response.status_code == 302
    assert mail.outbox == []  # nothing sent from the request itself
    message = OutboxMessage.objects.get()
    assert message.recipients == ["ivan@alpha.example"]
    assert message.template == "password_reset_key"
    assert "/accounts/password/reset/key/" in message.body_text
    assert message.subject.startswith("[supportdesk] ")


def test_signup_confirmation_goes_through_the_outbox(client, db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-pass-1234",
            "password2": "a-long-pass-1234",
        },
    )

    assert response.status_code == 302
    assert mail.outbox == []
    message = OutboxMessage.objects.get()
    assert message.recipients == ["new@example.com"]
    assert "/accounts/confirm-email/" in message.body_text
