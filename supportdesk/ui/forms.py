"""Forms shared by the portal and the workspace.

Forms only collect input. Whether a registration or an action may proceed is decided by the
domain (``contracts.entitlements``, ``tickets.actions``), whose refusal lands on the form, so
every channel gets the same answer. Fields a refusal insists on are marked ``required`` in HTML
only, so the domain's message is the one the user reads when the browser check is bypassed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Contact, User
from supportdesk.catalog.models import Product
from supportdesk.inputs import IDEMPOTENCY_KEY
from supportdesk.regulations.models import Priority, RegistrationField
from supportdesk.tickets import actions
from supportdesk.tickets.models import DESCRIPTION_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH, Ticket
from supportdesk.tickets.registration import FIELD_LIMITS, RegistrationRequest


def priority_choices(priorities: Any) -> list[tuple[str, str]]:
    return [(priority.code, priority.tr("name")) for priority in priorities]


class LabelledModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose option labels come from ``option_label``, set per form."""

    option_label: Callable[[Any], str] = str

    def label_from_instance(self, obj: Any) -> str:
        return self.option_label(obj)


def _text(name: str, **kwargs: Any) -> forms.CharField:
    """A registration text field with the label of the regulation's field and its column's limit."""
    return forms.CharField(
        label=RegistrationField(name).label,
        max_length=FIELD_LIMITS[name],
        required=False,
        **kwargs,
    )


class RegistrationFields(forms.Form):
    """The fields of a registration, declared once for the customer's and the dispatcher's
    forms; whether they are required is the regulation's business (the entitlement check)."""

    support_id = _text(RegistrationField.SUPPORT_ID)
    support_contact_id = _text(RegistrationField.SUPPORT_CONTACT_ID)
    license_key = _text(RegistrationField.LICENSE_KEY)
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("Choose a product"),
    )
    version = _text(RegistrationField.VERSION)
    os_version = _text(RegistrationField.OS_VERSION)
    service_pack = _text(RegistrationField.SERVICE_PACK)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    subject = _text(RegistrationField.SUBJECT)
    description = _text(RegistrationField.DESCRIPTION, widget=forms.Textarea(attrs={"rows": 8}))
    # A fresh key in every form shown: the form sent twice (a double click, the back button)
    # registers one ticket (tickets/registration.py).
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        initial=lambda: secrets.token_urlsafe(24),
    )

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data.get("idempotency_key") or ""
        return key if IDEMPOTENCY_KEY.fullmatch(key) else ""

    def registration_request(
        self,
        *,
        channel: str,
        requested_by: User,
        contact: Contact | None,
        extra: dict | None = None,
    ) -> RegistrationRequest:
        """The validated input as the registration service takes it (with the uploads, when
        the form has an ``attachments`` field)."""
        data = self.cleaned_data
        return RegistrationRequest(
            channel=channel,
            requested_by=requested_by,
            contact=contact,
            support_id=data["support_id"],
            support_contact_id=data["support_contact_id"],
            license_key=data["license_key"],
            product=data["product"],
            version=data["version"],
            os_version=data["os_version"],
            service_pack=data["service_pack"],
            subject=data["subject"],
            description=data["description"],
            priority_code=data["priority"],
            extra=extra or {},
            idempotency_key=data.get("idempotency_key", ""),
            files=tuple(data.get("attachments") or ()),
        )


# --- Ticket actions -------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input. Type, size and emptiness are judged by the attachment rules,
    which keep the text and list each refused file with its reason."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def text_field(
    label: Any, *, rows: int = 4, required_in_browser: bool = False, **kwargs: Any
) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows}
    if required_in_browser:
        attrs["required"] = True
    return forms.CharField(
        label=label,
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs=attrs),
        **kwargs,
    )


class TicketActionForm(forms.Form):
    """The input of one action on one ticket by one user; ``perform`` calls the action with it.
    ``status`` is the HTTP status a page answers with after the action was refused."""

    status = 200

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user

    def perform(self) -> Ticket:
        """Call the action with the cleaned data; every action form defines it."""
        raise NotImplementedError(type(self).__name__)

    def priority_choices(self) -> list[tuple[str, str]]:
        others = Priority.objects.filter(regulation_id=self.ticket.regulation_id).exclude(
            pk=self.ticket.priority_id
        )
        return priority_choices(others.order_by("rank"))


class PriorityProposalForm(TicketActionForm):
    priority = forms.ChoiceField(label=_("New priority"))
    reason = text_field(_("Reason"), rows=3, required_in_browser=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["priority"]).choices = self.priority_choices()

    def perform(self) -> Ticket:
        return actions.propose_priority_change(
            ticket=self.ticket,
            actor=self.user,
            priority_code=self.cleaned_data["priority"],
            reason=self.cleaned_data["reason"],
        )


class AcceptProposalForm(TicketActionForm):
    """Accept the other side's pending priority proposal."""

    proposal = forms.IntegerField(widget=forms.HiddenInput)

    def perform(self) -> Ticket:
        return actions.accept_priority_change(
            ticket=self.ticket, actor=self.user, proposal_id=self.cleaned_data["proposal"]
        )


class DeclineProposalForm(AcceptProposalForm):
    """Decline the other side's pending priority proposal."""

    reason = forms.CharField(label=_("Reason (optional)"), max_length=2000, required=False)

    def perform(self) -> Ticket:
        return actions.decline_priority_change(
            ticket=self.ticket,
            actor=self.user,
            proposal_id=self.cleaned_data["proposal"],
            reason=self.cleaned_data["reason"],
        )
