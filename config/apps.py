"""``config`` as an installed app, only so that the commands that wire the project together
(``supportdesk runworker``) live here, beside the schedule and the runner they start: a domain app
must not import ``config``."""

import importlib

from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "config"
    label = "config"

    def ready(self) -> None:
        # Registers the deployment checks (config/checks.py).
        importlib.import_module("config.checks")
