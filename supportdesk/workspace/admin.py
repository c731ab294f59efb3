"""Admin of the workspace's own data: canned replies."""

from __future__ import annotations

from django.contrib import admin

from supportdesk.workspace.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "team", "regulation", "order", "is_active")
    list_filter = ("language", "team", "regulation", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("title", "body")
