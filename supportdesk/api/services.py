"""Creating and revoking API tokens."""

from __future__ import annotations

import secrets

from django.utils import timezone

from supportdesk.accounts.models import User
from supportdesk.api.models import TOKEN_PREFIX, ApiToken, hash_token


def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token (shown once)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=hash_token(plain), hint=plain[:12]
    )
    return token, plain


def revoke_api_token(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
