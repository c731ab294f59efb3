from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "supportdesk.sla"
    label = "sla"
