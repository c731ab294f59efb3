"""Admin for regulations: the whole support policy on one page, and the business calendars.

The inlines of a regulation offer only that regulation's levels, priorities and products, so an SLA
cell or a channel rule cannot point at another regulation's level.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.http import HttpRequest

from supportdesk.catalog.models import Product
from supportdesk.inputs import parse_id
from supportdesk.regulations.models import (
    BusinessCalendar,
    CalendarOverride,
    ChannelRule,
    DiagnosticsItem,
    EscalationContact,
    HotlineNumber,
    LanguageRoute,
    Priority,
    Regulation,
    RequiredField,
    SlaTarget,
    SupportLevel,
    WorkingHours,
    WorkMethod,
)


def _regulation_id(request: HttpRequest) -> int | None:
    """The regulation being edited: the change page's object id, none on the add page."""
    match = request.resolver_match
    return parse_id(match.kwargs.get("object_id")) if match else None


class RegulationChildInline(admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        regulation_id = _regulation_id(request)
        if db_field.related_model in (SupportLevel, Priority):
            kwargs["queryset"] = db_field.related_model.objects.filter(
                regulation_id=regulation_id or 0
            )
        elif db_field.related_model is Product:
            kwargs["queryset"] = (
                Product.objects.filter(line__regulations=regulation_id).distinct()
                if regulation_id
                else Product.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is SupportLevel:
            kwargs["queryset"] = SupportLevel.objects.filter(
                regulation_id=_regulation_id(request) or 0
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SupportLevelInline(RegulationChildInline):
    model = SupportLevel


class ChannelRuleInline(RegulationChildInline):
    model = ChannelRule


class HotlineNumberInline(RegulationChildInline):
    model = HotlineNumber


class RequiredFieldInline(RegulationChildInline):
    model = RequiredField


class DiagnosticsItemInline(RegulationChildInline):
    model = DiagnosticsItem


class PriorityInline(RegulationChildInline):
    model = Priority


class SlaTargetInline(RegulationChildInline):
    model = SlaTarget


class WorkMethodInline(RegulationChildInline):
    model = WorkMethod


class EscalationContactInline(RegulationChildInline):
    model = EscalationContact


class LanguageRouteInline(RegulationChildInline):
    model = LanguageRoute


@admin.register(Regulation)
class RegulationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "language", "calendar", "silence_days", "silence_day_count")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("product_lines",)
    inlines = [
        SupportLevelInline,
        ChannelRuleInline,
        HotlineNumberInline,
        RequiredFieldInline,
        DiagnosticsItemInline,
        PriorityInline,
        SlaTargetInline,
        WorkMethodInline,
        EscalationContactInline,
        LanguageRouteInline,
    ]


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "holiday_country")
    search_fields = ("name",)
    inlines = [WorkingHoursInline, CalendarOverrideInline]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ("calendar", "weekday", "start", "end")
    list_filter = ("calendar",)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("calendar", "date", "kind", "start", "end", "note")
    list_filter = ("calendar", "kind")
    date_hierarchy = "date"


class RegulationChildAdmin(admin.ModelAdmin):
    """A regulation's rows across regulations, e.g. to compare SLA matrices."""

    list_filter: ClassVar[tuple[str, ...]] = ("regulation",)
    list_select_related: ClassVar[tuple[str, ...]] = ("regulation",)


@admin.register(SupportLevel)
class SupportLevelAdmin(RegulationChildAdmin):
    list_display = ("name", "name_en", "code", "rank", "regulation")


@admin.register(ChannelRule)
class ChannelRuleAdmin(RegulationChildAdmin):
    list_display = ("channel", "product_line", "address", "regulation")
    list_filter = ("regulation", "channel")


@admin.register(HotlineNumber)
class HotlineNumberAdmin(RegulationChildAdmin):
    list_display = ("country", "number", "product_line", "order", "regulation")
    list_filter = ("regulation", "country")


@admin.register(RequiredField)
class RequiredFieldAdmin(RegulationChildAdmin):
    list_display = ("field", "any_of_group", "regulation")


@admin.register(DiagnosticsItem)
class DiagnosticsItemAdmin(RegulationChildAdmin):
    list_display = ("order", "text", "product", "regulation")


@admin.register(Priority)
class PriorityAdmin(RegulationChildAdmin):
    list_display = ("code", "name", "name_en", "rank", "regulation")


@admin.register(SlaTarget)
class SlaTargetAdmin(RegulationChildAdmin):
    list_display = (
        "regulation",
        "level",
        "priority",
        "reaction_minutes",
        "reaction_calendar",
        "resolution_minutes",
        "resolution_calendar",
        "is_example",
    )
    list_filter = ("regulation", "is_example")
    list_select_related = (
        "regulation",
        "level",
        "priority",
        "reaction_calendar",
        "resolution_calendar",
    )
    ordering = ("regulation", "level__rank", "priority__rank")


@admin.register(WorkMethod)
class WorkMethodAdmin(RegulationChildAdmin):
    list_display = ("code", "name", "name_en", "regulation")


@admin.register(EscalationContact)
class EscalationContactAdmin(RegulationChildAdmin):
    list_display = ("escalation_level", "name", "email", "language", "regulation")


@admin.register(LanguageRoute)
class LanguageRouteAdmin(RegulationChildAdmin):
    list_display = ("language", "team", "outside_hours", "fallback_team", "regulation")
    list_select_related = ("team", "fallback_team", "regulation")
