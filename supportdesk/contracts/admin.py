"""Admin for contracts (Support ID) and the license keys bound to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.regulations.admin import RetimingAdmin
from supportdesk.sla import retime


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "support_id",
            "organization",
            "regulation",
            "level",
            "valid_from",
            "valid_to",
            "products",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        regulation, level = cleaned.get("regulation"), cleaned.get("level")
        if regulation and level and level.regulation_id != regulation.pk:
            self.add_error("level", _("Choose a support level of the contract's regulation."))
        return cleaned


class LicenseKeyInline(admin.TabularInline):
    model = LicenseKey
    extra = 0


@admin.register(Contract)
class ContractAdmin(RetimingAdmin):
    form = ContractForm
    list_display = ("support_id", "organization", "regulation", "level", "valid_from", "valid_to")
    list_filter = ("regulation", "level", "valid_to")
    search_fields = ("support_id", "organization__name", "license_keys__key")
    list_select_related = ("organization", "regulation", "level")
    date_hierarchy = "valid_to"
    filter_horizontal = ("products",)
    inlines = [LicenseKeyInline]
    retime_cause = retime.Cause.CONTRACT

    def retime_scope(self, obj: Contract) -> dict[str, Any] | None:
        return {"contract": obj.pk} if obj.pk else None

    def retime_wanted(self, form: forms.BaseForm, formsets: list, change: bool) -> bool:
        # Only the level moves deadlines (its open tickets take the new level).
        return change and "level" in form.changed_data

    def delete_model(self, request, obj) -> None:
        admin.ModelAdmin.delete_model(self, request, obj)


@admin.register(LicenseKey)
class LicenseKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "contract", "product")
    list_filter = ("product",)
    search_fields = ("key", "contract__support_id")
    list_select_related = ("contract", "product")
    raw_id_fields = ("contract",)
