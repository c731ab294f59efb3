"""Admin for regulations: the whole support policy on one page, and the business calendars.

The inlines of a regulation offer only that regulation's levels, priorities and products, so an SLA
cell or a channel rule cannot point at another regulation's level.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import ngettext

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
from supportdesk.sla import retime

# The regulation's own fields the SLA clock reads (the rest never moves a deadline).
CLOCK_FIELDS = frozenset(
    {
        "calendar",
        "warning_percent",
        "silence_days",
        "silence_day_count",
        "confirmation_working_days",
        "confirmation_action",
    }
)


def target_changes(form: forms.BaseForm) -> dict[str, dict[str, list[int]]]:
    """An SLA cell form's old and new minutes, for the timeline ({} when neither moved)."""
    instance = getattr(form, "instance", None)
    if not isinstance(instance, SlaTarget) or not instance.level_id or not instance.priority_id:
        return {}
    moved = {}
    for name in ("reaction", "resolution"):
        field = f"{name}_minutes"
        old, new = form.initial.get(field), form.cleaned_data.get(field)
        if old is not None and new is not None and old != new:
            moved[name] = [old, new]
    return {retime.cell_key(instance.level_id, instance.priority_id): moved} if moved else {}


class RetimingAdmin(admin.ModelAdmin):
    """Admin of something the SLA clock reads. The change page says how many open tickets a
    change re-times; saving (or deleting) queues the re-timing in the edit's transaction."""

    change_form_template = "admin/retime_change_form.html"
    retime_cause: ClassVar[str] = retime.Cause.REGULATION

    def retime_scope(self, obj: Any) -> dict[str, Any] | None:
        raise ValueError(f"{type(self).__name__} must define retime_scope")

    def retime_wanted(
        self, form: forms.BaseForm, formsets: list[BaseFormSet], change: bool
    ) -> bool:
        return form.has_changed() or any(formset.has_changed() for formset in formsets)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        scope = self.retime_scope(obj) if obj is not None else None
        if scope is not None:
            extra["retime_affected"] = retime.count_affected(scope)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def save_related(
        self, request: HttpRequest, form: forms.BaseForm, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if self.retime_wanted(form, formsets, change):
            targets: dict[str, dict[str, list[int]]] = target_changes(form)
            for formset in formsets:
                for inline_form in formset.forms:
                    if inline_form.has_changed() and hasattr(inline_form, "cleaned_data"):
                        targets.update(target_changes(inline_form))
            self.queue_retime(
                request, getattr(form, "instance", None), targets=targets, formsets=formsets
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        scope = self.retime_scope(obj)
        super().delete_model(request, obj)
        if scope is not None:
            self.queue_retime(request, obj, scope=scope)

    def cause_for(self, formsets: list) -> str:
        return self.retime_cause

    def queue_retime(
        self,
        request: HttpRequest,
        obj: Any,
        *,
        scope: dict[str, Any] | None = None,
        targets: dict[str, Any] | None = None,
        formsets: list | None = None,
    ) -> None:
        scope = scope if scope is not None else self.retime_scope(obj)
        if scope is None:
            return
        count = retime.count_affected(scope)
        if not count:
            return
        if targets:
            scope = {**scope, "targets": targets}
        retime.request_retime(
            cause=self.cause_for(formsets or []),
            scope=scope,
            description=str(obj),
            actor=request.user if request.user.is_authenticated else None,
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d open ticket is being re-timed in the background.",
                "%(count)d open tickets are being re-timed in the background.",
                count,
            )
            % {"count": count},
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
class RegulationAdmin(RetimingAdmin):
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

    def retime_scope(self, obj: Regulation) -> dict[str, Any] | None:
        return {"regulation": obj.pk} if obj.pk else None

    def retime_wanted(
        self, form: forms.BaseForm, formsets: list[BaseFormSet], change: bool
    ) -> bool:
        clock_models = (SlaTarget, Priority, SupportLevel)
        clock_formsets = [f for f in formsets if getattr(f, "model", None) in clock_models]
        return change and (
            bool(CLOCK_FIELDS & set(form.changed_data))
            or any(f.has_changed() for f in clock_formsets)
        )

    def cause_for(self, formsets: list) -> str:
        changed = {getattr(f, "model", None) for f in formsets if f.has_changed()}
        if SlaTarget in changed:
            return retime.Cause.SLA_MATRIX
        if Priority in changed:
            return retime.Cause.PRIORITY
        return retime.Cause.REGULATION

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        if parse_id(object_id) is not None:
            extra["sla_matrix_url"] = reverse("admin:sla_slamatrix_change", args=[object_id])
        return super().change_view(request, object_id, form_url, extra_context=extra)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(RetimingAdmin):
    list_display = ("name", "timezone", "holiday_country")
    search_fields = ("name",)
    inlines = [WorkingHoursInline, CalendarOverrideInline]
    retime_cause = retime.Cause.CALENDAR

    def retime_scope(self, obj: BusinessCalendar) -> dict[str, Any] | None:
        return {"calendar": obj.pk} if obj.pk else None


class CalendarRowAdmin(RetimingAdmin):
    """A calendar's hours or overrides edited on their own: a new row moves deadlines too."""

    retime_cause = retime.Cause.CALENDAR

    def retime_scope(self, obj: WorkingHours | CalendarOverride) -> dict[str, Any] | None:
        return {"calendar": obj.calendar_id} if obj.calendar_id else None


@admin.register(WorkingHours)
class WorkingHoursAdmin(CalendarRowAdmin):
    list_display = ("calendar", "weekday", "start", "end")
    list_filter = ("calendar",)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(CalendarRowAdmin):
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
class PriorityAdmin(RetimingAdmin, RegulationChildAdmin):
    list_display = ("code", "name", "name_en", "rank", "regulation")
    retime_cause = retime.Cause.PRIORITY

    def retime_scope(self, obj: Priority) -> dict[str, Any] | None:
        return {"priority": obj.pk} if obj.pk else None


@admin.register(SlaTarget)
class SlaTargetAdmin(RetimingAdmin, RegulationChildAdmin):
    retime_cause = retime.Cause.SLA_MATRIX

    def retime_scope(self, obj: SlaTarget) -> dict[str, Any] | None:
        if not (obj.level_id and obj.priority_id):
            return None
        return {"cells": [[obj.level_id, obj.priority_id]]}

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
