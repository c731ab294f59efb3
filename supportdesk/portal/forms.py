"""The new-request form, generated from the regulation of the chosen contract.

The form only collects what the regulation asks for; whether a registration may proceed (contract
valid, product covered, required fields present, channel allowed) is decided by
``contracts.entitlements.check_entitlement``, so every channel gets the same answer.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Contact
from supportdesk.contracts.models import Contract
from supportdesk.formatting import format_date
from supportdesk.regulations.models import DiagnosticsItem, RegistrationField
from supportdesk.regulations.rules import compiled_rules
from supportdesk.tickets import actions
from supportdesk.tickets.models import Escalation, Ticket
from supportdesk.ui.forms import (
    LabelledModelChoiceField,
    MultipleFileField,
    RegistrationFields,
    TicketActionForm,
    priority_choices,
    text_field,
)

# The order fields appear in, whichever regulation asks for them.
FIELD_ORDER: list[str] = [  # RegistrationField values
    RegistrationField.SUPPORT_ID,
    RegistrationField.SUPPORT_CONTACT_ID,
    RegistrationField.LICENSE_KEY,
    RegistrationField.PRODUCT,
    RegistrationField.VERSION,
    RegistrationField.OS_VERSION,
    RegistrationField.SERVICE_PACK,
    RegistrationField.PRIORITY,
    RegistrationField.SUBJECT,
    RegistrationField.DESCRIPTION,
]
# Shown even when the regulation does not require them: they help the engineer.
ALWAYS_SHOWN = {
    RegistrationField.PRODUCT,
    RegistrationField.VERSION,
    RegistrationField.OS_VERSION,
    RegistrationField.SERVICE_PACK,
    RegistrationField.PRIORITY,
    RegistrationField.SUBJECT,
    RegistrationField.DESCRIPTION,
}


class RegulationLayout:
    """Which registration fields a regulation requires, and which are alternatives."""

    def __init__(self, regulation) -> None:
        # From the regulation's compiled rules: no query while its version stands.
        self.groups: list[tuple[str, ...]] = list(compiled_rules(regulation).required_groups)
        self.required = {name for names in self.groups if len(names) == 1 for name in names}
        self.alternatives = [
            sorted(names, key=FIELD_ORDER.index) for names in self.groups if len(names) > 1
        ]
        self.mentioned = {name for names in self.groups for name in names}

    def group_of(self, name: str) -> list[str] | None:
        for names in self.alternatives:
            if name in names:
                return names
        return None


class RequestForm(RegistrationFields):
    """A customer's new request for one of the organization's active contracts."""

    contract = LabelledModelChoiceField(
        label=_("Contract (Support ID)"), queryset=Contract.objects.none(), empty_label=None
    )
    diagnostics = forms.MultipleChoiceField(
        label=_("Primary diagnostics"), required=False, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["contract", *RegistrationFields.base_fields]

    def __init__(
        self, *args: Any, contracts: Any, contract: Contract, contact: Contact, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.contract_obj = contract
        self.contact = contact
        regulation = contract.regulation
        self.regulation = regulation
        self.layout = RegulationLayout(regulation)
        contract_field = cast(LabelledModelChoiceField, self.fields["contract"])
        product_field = cast(forms.ModelChoiceField, self.fields["product"])
        contract_field.queryset = contracts
        contract_field.option_label = _contract_label
        # Choosing another contract reloads the fields of its regulation (progressive: without
        # JavaScript the "use this contract" button does the same with a plain GET).
        contract_field.widget.attrs.update(
            {
                "hx-get": reverse("ticket_new"),
                "hx-target": "#request-fields",
                "hx-select": "#request-fields",
                "hx-swap": "outerHTML",
            }
        )
        self.level_name = contract.level.tr("name")
        self.regulation_name = regulation.display_name
        product_field.queryset = contract.products.filter(line__is_consumer=False).select_related(
            "line"
        )
        self.priorities = list(compiled_rules(regulation).priorities.values())
        cast(forms.ChoiceField, self.fields["priority"]).choices = priority_choices(self.priorities)
        self.diagnostics_items = (
            list(
                DiagnosticsItem.objects.filter(regulation=regulation)
                .filter(product__isnull=True)
                .order_by("order", "id")
            )
            + list(
                DiagnosticsItem.objects.filter(
                    regulation=regulation, product__in=product_field.queryset
                )
                .select_related("product")
                .order_by("order", "id")
            )
            if regulation.primary_diagnostics_required
            else []
        )
        cast(forms.ChoiceField, self.fields["diagnostics"]).choices = [
            (str(item.pk), item.tr("text")) for item in self.diagnostics_items
        ]
        if not self.is_bound:
            products = list(product_field.queryset[:2])
            if len(products) == 1:
                self.initial.setdefault("product", products[0].pk)
            self.initial.setdefault("contract", contract.pk)
            self.initial.setdefault("support_id", contract.support_id)
            self.initial.setdefault("support_contact_id", contact.support_contact_id or "")
            if self.priorities and RegistrationField.PRIORITY not in self.layout.required:
                self.initial.setdefault("priority", self.priorities[-1].code)
        # Required fields are always shown (required ⊂ mentioned).
        for name in self.layout.required:
            self.fields[name].widget.attrs["required"] = True

    @cached_property
    def has_license_keys(self) -> bool:
        return self.contract_obj.license_keys.exists()

    def shown_fields(self) -> list[str]:
        shown = set(ALWAYS_SHOWN) | self.layout.mentioned
        if self.has_license_keys:
            shown.add(RegistrationField.LICENSE_KEY)
        return [str(name) for name in FIELD_ORDER if name in shown]

    def sections(self) -> list[dict]:
        """Fields in display order; alternatives of an any-of group come together as one item."""
        sections: list[dict] = []
        seen: set[str] = set()
        for name in self.shown_fields():
            if name in seen or name == RegistrationField.PRIORITY:
                continue
            group = self.layout.group_of(name)
            if group:
                seen.update(group)
                sections.append({"one_of": True, "fields": [self[field] for field in group]})
            else:
                seen.add(name)
                sections.append(
                    {
                        "one_of": False,
                        "required": name in self.layout.required,
                        "fields": [self[name]],
                    }
                )
        return sections

    @property
    def priority_required(self) -> bool:
        return RegistrationField.PRIORITY in self.layout.required

    def priority_options(self) -> list[dict]:
        chosen = self["priority"].value()
        return [
            {
                "code": priority.code,
                "name": priority.tr("name"),
                "criteria": priority.tr("criteria"),
                "checked": chosen == priority.code,
                "id": f"id_priority_{priority.code}",
            }
            for priority in self.priorities
        ]

    def diagnostics_options(self) -> list[dict]:
        chosen = set(self["diagnostics"].value() or [])
        return [
            {
                "id": str(item.pk),
                "text": item.tr("text"),
                "product": item.product.name if item.product is not None else "",
                "checked": str(item.pk) in chosen,
            }
            for item in self.diagnostics_items
        ]

    def clean_support_id(self) -> str:
        value = self.cleaned_data["support_id"].strip()
        if RegistrationField.SUPPORT_ID not in self.layout.mentioned:
            # Not asked by the regulation: the chosen contract identifies the request.
            return self.contract_obj.support_id
        if value and value != self.contract_obj.support_id:
            raise forms.ValidationError(
                _("This is not the Support ID of the chosen contract. Choose that contract above.")
            )
        return value

    def clean_diagnostics(self) -> list[str]:
        confirmed = self.cleaned_data["diagnostics"]
        product = self.cleaned_data.get("product")
        expected = {
            str(item.pk)
            for item in self.diagnostics_items
            if item.product_id is None or (product is not None and item.product_id == product.pk)
        }
        if expected - set(confirmed):
            raise forms.ValidationError(
                _(
                    "The regulation asks your administrator to carry out the primary diagnostics "
                    "first. Confirm every step of the checklist."
                )
            )
        return confirmed

    def diagnostics_record(self) -> dict:
        """What the customer confirmed, kept with the registration."""
        confirmed = set(self.cleaned_data.get("diagnostics") or [])
        items = [item for item in self.diagnostics_items if str(item.pk) in confirmed]
        if not items:
            return {}
        return {
            "primary_diagnostics_confirmed": [{"id": item.pk, "text": item.text} for item in items]
        }


def _contract_label(contract: Contract) -> str:
    return _("%(support_id)s — %(level)s, valid until %(date)s") % {
        "support_id": contract.support_id,
        "level": contract.level.tr("name"),
        "date": format_date(contract.valid_to),
    }


# Ticket actions ---------------------------------------------------------------------------------


class CustomerReplyForm(TicketActionForm):
    field_order = ["provided_items", "body", "files"]
    body = text_field(_("Your message"), rows=5)
    # The metaclass moves declared fields to base_fields: self.files stays the uploads dict.
    files = MultipleFileField(label=_("Attach files"))  # type: ignore[assignment]
    provided_items = forms.TypedMultipleChoiceField(
        label=_("What you are sending"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, open_items=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_items = list(open_items)
        cast(forms.ChoiceField, self.fields["provided_items"]).choices = [
            (item.pk, item_label(item)) for item in self.open_items
        ]
        if not self.open_items:
            del self.fields["provided_items"]
        elif not self.is_bound:
            self.initial["provided_items"] = [item.pk for item in self.open_items]

    def perform(self) -> Ticket:
        data = self.cleaned_data
        return actions.add_customer_reply(
            ticket=self.ticket,
            actor=self.user,
            body=data["body"],
            files=data["files"],
            # Without open diagnostics items the field is gone: the reply answers them all.
            provided_items=data.get("provided_items"),
        )


def item_label(item) -> str:
    """A requested diagnostics item as the customer reads it: "Configuration files: VPN"."""
    if item.kind != "other" and item.text:
        return f"{item.get_kind_display()}: {item.text}"
    return item.text or str(item.get_kind_display())


class ConfirmSolutionForm(TicketActionForm):
    comment = text_field(_("Comment (optional)"), rows=2)

    def perform(self) -> Ticket:
        return actions.confirm_solution(
            ticket=self.ticket, actor=self.user, comment=self.cleaned_data["comment"]
        )


class RefuseSolutionForm(TicketActionForm):
    reason = text_field(
        _("Why does the proposed solution not solve the problem?"), required_in_browser=True
    )

    def perform(self) -> Ticket:
        return actions.refuse_solution(
            ticket=self.ticket, actor=self.user, reason=self.cleaned_data["reason"]
        )


class EscalationForm(TicketActionForm):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Escalation.Reason.choices, widget=forms.RadioSelect
    )
    text = text_field(_("Details"), rows=3, help_text=_("Required when the reason is “Other”."))
    priority = forms.ChoiceField(label=_("Also propose a priority (optional)"), required=False)
    priority_reason = forms.CharField(label=_("Why this priority"), max_length=2000, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            ("", _("Keep the priority")),
            *self.priority_choices(),
        ]

    def perform(self) -> Ticket:
        data = self.cleaned_data
        return actions.request_escalation(
            ticket=self.ticket,
            actor=self.user,
            reason=data["reason"],
            text=data["text"],
            priority_code=data["priority"],
            priority_reason=data["priority_reason"],
        )


class WithdrawForm(TicketActionForm):
    reason = text_field(_("Reason (optional)"), rows=2)

    def perform(self) -> Ticket:
        return actions.withdraw_ticket(
            ticket=self.ticket, actor=self.user, reason=self.cleaned_data["reason"]
        )
