"""allauth's e-mails (address confirmation, password reset) go through the outbox like every
other notification: written in a transaction, delivered by the relay with retries. Signing in
switches to the account's language at once, so the "signed in" message is in it too."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import strip_tags

from supportdesk.outbox.services import enqueue_message


class AccountAdapter(DefaultAccountAdapter):
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
                subject=message.subject,
                body_text=text,
                body_html=html,
            )
