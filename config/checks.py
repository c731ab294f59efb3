"""System checks of the deployment: the built-in SECRET_KEY is refused when DEBUG is off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def secret_key_is_not_the_default(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    testing = getattr(settings, "SUPPORTDESK_TESTING", False)
    if settings.DEBUG or testing or settings.SECRET_KEY != settings.DEFAULT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the built-in development key and DEBUG is off.",
            hint="Set the SECRET_KEY environment variable to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))').",
            id="supportdesk.E001",
        )
    ]
