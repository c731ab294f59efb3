from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "supportdesk.outbox"
    label = "outbox"
