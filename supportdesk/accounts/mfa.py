"""allauth's MFA adapted to supportdesk: agents who must have a second factor cannot remove it."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings

from supportdesk.accounts.account_security import is_agent


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if settings.SUPPORTDESK_AGENT_MFA_REQUIRED and is_agent(authenticator.user):
            return authenticator.type != Authenticator.Type.TOTP
        return super().can_delete_authenticator(authenticator)
