"""The dispatcher's form: a phone request registered on a caller's behalf."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Contact, Organization
from supportdesk.catalog.models import Product
from supportdesk.regulations.models import Priority


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, Support ID, Support Contact ID or license key"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class PhoneRequestForm(forms.Form):
    """The caller's details as the dispatcher hears them; the contact is of the organization."""

    organization = forms.IntegerField(widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(label=_("Caller"), queryset=Contact.objects.none())
    support_id = forms.CharField(label=_("Support ID"), max_length=40, required=False)
    support_contact_id = forms.CharField(
        label=_("Support Contact ID"), max_length=40, required=False
    )
    license_key = forms.CharField(label=_("License key"), max_length=100, required=False)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    version = forms.CharField(label=_("Product version"), max_length=60, required=False)
    os_version = forms.CharField(
        label=_("Operating system version"), max_length=100, required=False
    )
    service_pack = forms.CharField(label=_("Service packs"), max_length=100, required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description of the problem"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.initial.setdefault("organization", organization.pk)
        self.fields["contact"].queryset = Contact.objects.filter(
            organization=organization
        ).select_related("user")
        self.fields["contact"].label_from_instance = _contact_label
        self.fields["product"].queryset = Product.objects.filter(line__is_consumer=False).order_by(
            "name"
        )
        # The codes are resolved within the regulation of the contract the request falls under.
        choices: dict[str, str] = {}
        for priority in (
            Priority.objects.filter(regulation__contracts__organization=organization)
            .distinct()
            .order_by("rank", "regulation__code")
        ):
            choices.setdefault(priority.code, priority.tr("name"))
        self.fields["priority"].choices = [
            ("", _("Lowest priority of the regulation")),
            *choices.items(),
        ]

    def clean_organization(self) -> int:
        # The organization the dispatcher looked up; a contact of any other one is refused.
        if self.cleaned_data["organization"] != self.organization.pk:
            raise forms.ValidationError(_("Look the caller up again."))
        return self.organization.pk


def _contact_label(contact: Contact) -> str:
    name = contact.user.get_full_name() or contact.user.email
    if contact.support_contact_id:
        return f"{name} ({contact.support_contact_id})"
    return name
