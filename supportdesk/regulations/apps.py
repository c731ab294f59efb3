from django.apps import AppConfig


class RegulationsConfig(AppConfig):
    name = "supportdesk.regulations"
    label = "regulations"
