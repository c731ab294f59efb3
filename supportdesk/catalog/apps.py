from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "supportdesk.catalog"
    label = "catalog"
