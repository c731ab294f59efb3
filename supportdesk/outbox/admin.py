"""Admin for the outbox: what was sent, what is pending, and every delivery attempt (read-only).

Rows are written by services and delivered by the relay; editing them here would break the relay's
bookkeeping, so they are shown only.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest

from supportdesk.outbox.models import DeliveryAttempt, OutboxMessage


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DeliveryAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "template", "subject", "state", "attempts", "sent_at")
    list_filter = ("state", "template")
    search_fields = ("subject", "ticket__number")
    raw_id_fields = ("ticket",)
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("message", "started_at", "finished_at", "success")
    list_filter = ("success",)
    list_select_related = ("message",)


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


# Any further outbox record is shown too, read-only like the rest.
for _model in apps.get_app_config("outbox").get_models():
    if not admin.site.is_registered(_model):
        admin.site.register(_model, ReadOnlyAdmin)
