"""The dispatcher's form for phone requests, and the agent's forms for actions on a ticket.

Action forms only collect input and call their action (``perform``); the action decides whether
it may proceed.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk import access
from supportdesk.accounts.models import Agent, Contact, Organization
from supportdesk.catalog.models import Product
from supportdesk.regulations.models import Priority, RegistrationField, Regulation
from supportdesk.tickets import actions
from supportdesk.tickets.models import DiagnosticsRequestItem, Ticket
from supportdesk.ui.forms import (
    LabelledModelChoiceField,
    MultipleFileField,
    RegistrationFields,
    TicketActionForm,
    text_field,
)


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, Support ID, Support Contact ID or license key"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class PhoneRequestForm(RegistrationFields):
    """The caller's details as the dispatcher hears them; the contact is of the organization.

    The products are those the organization's contracts cover; the fields the regulations of
    those contracts require are marked (the entitlement check has the last word)."""

    organization = forms.IntegerField(widget=forms.HiddenInput)
    contact = LabelledModelChoiceField(label=_("Caller"), queryset=Contact.objects.none())

    field_order = ["organization", "contact", *RegistrationFields.base_fields]

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Not self.organization: that name is the form field holding its pk.
        self.looked_up_organization = organization
        self.initial.setdefault("organization", organization.pk)
        contact_field = cast(LabelledModelChoiceField, self.fields["contact"])
        contact_field.queryset = Contact.objects.filter(organization=organization).select_related(
            "user"
        )
        contact_field.option_label = _contact_label
        product_field = cast(forms.ModelChoiceField, self.fields["product"])
        product_field.queryset = (
            Product.objects.filter(contracts__organization=organization, line__is_consumer=False)
            .distinct()
            .order_by("name")
        )
        regulations = list(
            Regulation.objects.filter(contracts__organization=organization)
            .distinct()
            .prefetch_related("required_fields")
        )
        self.required_names, self.alternatives = required_layout(regulations)
        # The codes are resolved within the regulation of the contract the request falls under.
        choices: dict[str, str] = {}
        for priority in (
            Priority.objects.filter(regulation__in=regulations)
            .distinct()
            .order_by("rank", "regulation__code")
        ):
            choices.setdefault(priority.code, priority.tr("name"))
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            ("", _("Lowest priority of the regulation")),
            *choices.items(),
        ]
        for name in self.required_names:
            if name in self.fields:
                self.fields[name].widget.attrs["required"] = True
        if not self.is_bound and product_field.queryset.count() == 1:
            self.initial.setdefault("product", product_field.queryset.get().pk)

    def clean_organization(self) -> int:
        # The organization the dispatcher looked up; a contact of any other one is refused.
        if self.cleaned_data["organization"] != self.looked_up_organization.pk:
            raise forms.ValidationError(_("Look the caller up again."))
        return self.looked_up_organization.pk

    def rows(self) -> list[dict]:
        """The registration fields in order, each marked when the regulations require it; the
        alternatives of an any-of group say so."""
        rows = []
        for name in RegistrationFields.base_fields:
            group = next((names for names in self.alternatives if name in names), None)
            help_text = ""
            if group:
                help_text = _("Required: one of %(fields)s.") % {
                    "fields": ", ".join(str(RegistrationField(other).label) for other in group)
                }
            rows.append(
                {"field": self[name], "required": name in self.required_names, "help": help_text}
            )
        return rows


def required_layout(regulations: list[Regulation]) -> tuple[set[str], list[list[str]]]:
    """The fields every one of ``regulations`` requires on its own, and the any-of groups they
    share (a caller's organization usually has contracts of one regulation)."""
    required: set[str] | None = None
    alternatives: list[list[str]] = []
    for regulation in regulations:
        groups: dict[str, list[str]] = {}
        for row in regulation.required_fields.all():
            groups.setdefault(row.any_of_group or row.field, []).append(row.field)
        alone = {names[0] for names in groups.values() if len(names) == 1}
        required = alone if required is None else required & alone
        for names in groups.values():
            if len(names) > 1 and sorted(names) not in alternatives:
                alternatives.append(sorted(names))
    return required or set(), alternatives


def _contact_label(contact: Contact) -> str:
    name = contact.user.get_full_name() or contact.user.email
    if contact.support_contact_id:
        return f"{name} ({contact.support_contact_id})"
    return name


# Ticket actions ---------------------------------------------------------------------------------


class TakeForm(TicketActionForm):
    def perform(self) -> Ticket:
        return actions.take_ticket(ticket=self.ticket, actor=self.user)


class AssignForm(TicketActionForm):
    """Engineers and managers of the ticket's team (any team when it has none)."""

    assignee = LabelledModelChoiceField(label=_("Engineer"), queryset=Agent.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        help_text=_("Required when the request already has an owner."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = Agent.objects.filter(
            role__in=(Agent.Role.ENGINEER, Agent.Role.MANAGER), user__is_active=True
        )
        if self.ticket.team_id is not None:
            agents = agents.filter(teams=self.ticket.team_id)
        if self.ticket.owner_id is not None:
            agents = agents.exclude(pk=self.ticket.owner_id)
        assignee_field = cast(LabelledModelChoiceField, self.fields["assignee"])
        assignee_field.queryset = agents.select_related("user").order_by(
            "user__last_name", "user__first_name"
        )
        assignee_field.option_label = _agent_label

    def perform(self) -> Ticket:
        return actions.assign_ticket(
            ticket=self.ticket,
            actor=self.user,
            assignee=self.cleaned_data["assignee"].user,
            reason=self.cleaned_data["reason"],
        )


class ReplyForm(TicketActionForm):
    body = text_field(_("Message"), rows=5)
    # The metaclass moves declared fields to base_fields: self.files stays the uploads dict.
    files = MultipleFileField(label=_("Attach files"))  # type: ignore[assignment]

    def perform(self) -> Ticket:
        data = self.cleaned_data
        return actions.add_public_reply(
            ticket=self.ticket, actor=self.user, body=data["body"], files=data["files"]
        )


class NoteForm(TicketActionForm):
    body = text_field(_("Note"), rows=3)
    # The metaclass moves declared fields to base_fields: self.files stays the uploads dict.
    files = MultipleFileField(label=_("Attach files"))  # type: ignore[assignment]

    def perform(self) -> Ticket:
        data = self.cleaned_data
        return actions.add_internal_note(
            ticket=self.ticket, actor=self.user, body=data["body"], files=data["files"]
        )


class DiagnosticsForm(TicketActionForm):
    items = forms.MultipleChoiceField(
        label=_("Request"),
        choices=DiagnosticsRequestItem.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other = forms.CharField(label=_("Other (describe)"), max_length=500, required=False)
    message = text_field(_("Message to the customer"), rows=3)

    def perform(self) -> Ticket:
        data = self.cleaned_data
        items = [
            actions.RequestedItem(kind, data["other"] if kind == "other" else "")
            for kind in data["items"]
        ]
        return actions.request_diagnostics(
            ticket=self.ticket, actor=self.user, items=items, message=data["message"]
        )


class SolutionForm(TicketActionForm):
    body = text_field(_("Proposed solution"), rows=5, required_in_browser=True)
    # The metaclass moves declared fields to base_fields: self.files stays the uploads dict.
    files = MultipleFileField(label=_("Attach files"))  # type: ignore[assignment]

    def perform(self) -> Ticket:
        data = self.cleaned_data
        return actions.propose_solution(
            ticket=self.ticket, actor=self.user, body=data["body"], files=data["files"]
        )


class OverridePriorityForm(TicketActionForm):
    priority = forms.ChoiceField(label=_("Priority"))
    reason = text_field(_("Reason"), rows=2, required_in_browser=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["priority"]).choices = self.priority_choices()

    def perform(self) -> Ticket:
        return actions.override_priority(
            ticket=self.ticket,
            actor=self.user,
            priority_code=self.cleaned_data["priority"],
            reason=self.cleaned_data["reason"],
        )


class WorkMethodForm(TicketActionForm):
    """Only the methods the regulation allows at the ticket's support level."""

    method = forms.ChoiceField(label=_("Work method"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["method"]).choices = [
            (method.code, method.tr("name")) for method in actions.methods_for_level(self.ticket)
        ]
        if self.ticket.work_method is not None and not self.is_bound:
            self.initial["method"] = self.ticket.work_method.code

    def perform(self) -> Ticket:
        return actions.agree_work_method(
            ticket=self.ticket,
            actor=self.user,
            method_code=self.cleaned_data["method"],
            note=self.cleaned_data["note"],
        )


class SplitForm(TicketActionForm):
    subject = forms.CharField(
        label=_("Subject of the new request"),
        max_length=Ticket._meta.get_field("subject").max_length,
        required=False,
    )
    description = text_field(
        _("Description of the second problem"), rows=4, required_in_browser=True
    )

    def perform(self) -> Ticket:
        return actions.split_ticket(
            ticket=self.ticket,
            actor=self.user,
            subject=self.cleaned_data["subject"],
            description=self.cleaned_data["description"],
        )


class MergeForm(TicketActionForm):
    target = forms.CharField(
        label=_("Merge into request number"),
        max_length=Ticket._meta.get_field("number").max_length,
        widget=forms.TextInput(attrs={"placeholder": "SD-2026-000123", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def clean_target(self) -> Ticket:
        # The same visibility as everywhere else: an invisible number does not exist.
        number = self.cleaned_data["target"].strip().upper()
        target = access.visible_tickets(self.user).filter(number=number).first()
        if target is None:
            raise forms.ValidationError(_("There is no request %(number)s.") % {"number": number})
        return target

    def perform(self) -> Ticket:
        return actions.merge_ticket(
            ticket=self.ticket,
            actor=self.user,
            target=self.cleaned_data["target"],
            reason=self.cleaned_data["reason"],
        )


class ReopenForm(TicketActionForm):
    reason = text_field(_("Why is the request reopened?"), rows=2, required_in_browser=True)

    def perform(self) -> Ticket:
        return actions.reopen_ticket(
            ticket=self.ticket, actor=self.user, reason=self.cleaned_data["reason"]
        )


class NotEntitledForm(TicketActionForm):
    reason = text_field(_("Why is the customer not entitled?"), rows=2, required_in_browser=True)

    def perform(self) -> Ticket:
        return actions.close_not_entitled(
            ticket=self.ticket, actor=self.user, reason=self.cleaned_data["reason"]
        )


def _agent_label(agent: Agent) -> str:
    name = agent.user.get_full_name() or agent.user.email
    return f"{name} ({agent.get_role_display()})"
