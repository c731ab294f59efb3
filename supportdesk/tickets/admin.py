"""Admin for tickets: for looking, not for changing.

Every change of a ticket goes through tickets/registration.py or tickets/actions/, which write the
timeline event and the e-mail with it; an admin form would bypass both. So tickets, their
timeline, attachments, numbering and refused registrations are shown read-only here, and the
timeline cannot be added to, edited or deleted at all (it is append-only).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest

from supportdesk.tickets.models import (
    Attachment,
    DiagnosticsRequest,
    DiagnosticsRequestItem,
    Escalation,
    PriorityProposal,
    RefusedRegistration,
    Ticket,
    TicketEvent,
    TicketNumberSequence,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TicketEventInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "actor", "kind", "is_internal", "body")
    readonly_fields = fields
    extra = 0


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "organization", "state", "priority", "registered_at")
    list_filter = ("state", "regulation", "level", "channel", "team")
    search_fields = ("number",)
    list_select_related = ("organization", "priority")
    date_hierarchy = "registered_at"
    raw_id_fields = (
        "organization",
        "contact",
        "contract",
        "license_key",
        "owner",
        "registered_by",
        "split_from",
        "merged_into",
    )
    inlines = [TicketEventInline, AttachmentInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "created_at", "kind", "actor", "is_internal")
    list_filter = ("kind", "is_internal")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "actor")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "created_at")
    search_fields = ("ticket__number", "original_name", "sha256")
    list_select_related = ("ticket",)


@admin.register(TicketNumberSequence)
class TicketNumberSequenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("period", "last_value")


@admin.register(RefusedRegistration)
class RefusedRegistrationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "reason", "channel", "organization", "contract", "is_sales_lead")
    list_filter = ("reason", "is_sales_lead", "channel")
    search_fields = ("organization__name", "contract__support_id", "message")
    list_select_related = ("organization", "contract")
    date_hierarchy = "created_at"


class DiagnosticsRequestItemInline(ReadOnlyMixin, admin.TabularInline):
    model = DiagnosticsRequestItem
    extra = 0


@admin.register(DiagnosticsRequest)
class DiagnosticsRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "created_at", "requested_by", "answered_at")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "requested_by")
    inlines = [DiagnosticsRequestItemInline]


@admin.register(DiagnosticsRequestItem)
class DiagnosticsRequestItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("request", "kind", "text", "done", "done_at")
    list_filter = ("kind", "done")
    list_select_related = ("request",)


@admin.register(PriorityProposal)
class PriorityProposalAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "side", "from_priority", "to_priority", "state", "created_at")
    list_filter = ("state", "side")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "from_priority", "to_priority")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "level", "reason", "requested_by", "created_at")
    list_filter = ("reason", "level")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "requested_by")


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


# Any further record of the ticket flow is shown too, read-only like the rest.
for _model in apps.get_app_config("tickets").get_models():
    if not admin.site.is_registered(_model):
        admin.site.register(_model, ReadOnlyAdmin)
