import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "supportdesk.accounts"
    label = "accounts"
    verbose_name = _("People and organizations")

    def ready(self) -> None:
        # Connects the sign-in receiver that starts agents' idle clock.
        importlib.import_module("supportdesk.accounts.account_security")
