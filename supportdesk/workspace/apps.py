from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "supportdesk.workspace"
    label = "workspace"
