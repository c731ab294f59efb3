"""The administrators' view of the audit log: filters by action, object type and date, search by
actor and object. Read-only: nothing here can change or delete a record."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from supportdesk.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_email", "ip", "target_type", "target_repr")
    list_filter = ("action", "target_type", "at")
    search_fields = ("actor_email", "target_repr", "target_id", "ip", "detail")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False
