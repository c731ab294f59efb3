from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulationsConfig(AppConfig):
    name = "supportdesk.regulations"
    label = "regulations"
    verbose_name = _("Regulations")

    def ready(self) -> None:
        # Edits bump the regulation's rules version (see rules.py); the module needs the models,
        # so it is loaded once the registry is ready, as Django's documentation advises.
        import_module("supportdesk.regulations.rules").connect()
