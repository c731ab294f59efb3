"""allauth's e-mails (address confirmation, password reset) go through the outbox like every
other notification: written in a transaction, delivered by the relay with retries. Their links
start with ``SITE_URL`` (never the Host of the request that asked for them), and their subject and
text part are plain text, rendered without HTML escaping. Signing in switches to the account's
language at once, so the "signed in" message is in it too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags

from supportdesk.outbox.models import SUBJECT_MAX_LENGTH
from supportdesk.outbox.services import TEXT_ENGINE, enqueue_message, one_line


def on_site(url: str) -> str:
    """``url`` with SITE_URL's scheme and host: a link in an e-mail never depends on the Host
    header of the request that caused it."""
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """allauth's rendering, with the subject and the text part from the text engine."""
        message = super().render_mail(template_prefix, email, context, headers)
        subject = render_to_string(f"{template_prefix}_subject.txt", context, using=TEXT_ENGINE)
        message.subject = self.format_email_subject(one_line(subject, SUBJECT_MAX_LENGTH))
        if message.content_subtype != "html":
            message.body = render_to_string(
                f"{template_prefix}_message.txt", context, using=TEXT_ENGINE
            ).strip()
        return message

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        super().login(request, user)
        # The middleware chose the browser's language before anyone was signed in; what follows
        # in this request (allauth's "signed in" message) speaks the account's.
        language = getattr(user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
            },
        )
        alternatives = getattr(message, "alternatives", [])
        html = next((str(body) for body, mimetype in alternatives if mimetype == "text/html"), "")
        text = str(message.body)
        if message.content_subtype == "html":
            html, text = text, strip_tags(text)
        with transaction.atomic():
            enqueue_message(
                template=template_prefix.rsplit("/", 1)[-1],
                recipients=message.to,
                language=translation.get_language() or settings.LANGUAGE_CODE,
                subject=str(message.subject),
                body_text=text,
                body_html=html,
            )
