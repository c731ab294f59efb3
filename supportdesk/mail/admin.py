"""Admin: mailboxes are configured here; incoming messages are shown read-only (agents handle the
quarantine in the workspace)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from supportdesk.mail.models import InboundMessage, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "regulation", "product_line", "host", "is_active")
    list_filter = ("is_active", "regulation")
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "subject", "outcome", "reason", "ticket", "answered")
    list_filter = ("outcome", "reason", "source")
    search_fields = ("sender", "subject", "message_id", "ticket__number")
    exclude = ("raw",)
    raw_id_fields = ("ticket", "event", "refusal", "duplicate_of", "mailbox", "resolved_by")
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
