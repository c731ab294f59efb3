import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "supportdesk.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Connects the receivers that record changes, sign-ins and sign-in failures.
        importlib.import_module("supportdesk.audit.receivers")
