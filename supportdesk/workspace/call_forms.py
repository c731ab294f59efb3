"""The dispatcher's forms for a call: answering it, what it ends with, callbacks, availability.
They collect input; ``supportdesk.calls.services`` decides."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Language
from supportdesk.catalog.models import ProductLine
from supportdesk.regulations.models import HotlineNumber
from supportdesk.tickets.models import Escalation, Ticket
from supportdesk.ui.forms import LabelledModelChoiceField, text_field

NUMBER_LENGTH = Ticket._meta.get_field("number").max_length


def _hotline_label(hotline: HotlineNumber) -> str:
    line = f" — {hotline.product_line.display_name}" if hotline.product_line else ""
    return f"{hotline.regulation.code} · {hotline.country} {hotline.number}{line}"


class StartCallForm(forms.Form):
    """The line the call came in on and the caller's IVR choice, from the regulations' data."""

    hotline = LabelledModelChoiceField(
        label=_("Line (country number)"), queryset=HotlineNumber.objects.none(), empty_label=None
    )
    ivr_branch = forms.ModelChoiceField(
        label=_("IVR choice"),
        queryset=ProductLine.objects.order_by("name"),
        required=False,
        empty_label=_("No menu / direct line"),
    )
    language = forms.ChoiceField(label=_("Caller's language"), choices=Language.choices)
    caller_phone = forms.CharField(label=_("Caller's number"), max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hotline_field = cast(LabelledModelChoiceField, self.fields["hotline"])
        hotline_field.queryset = HotlineNumber.objects.select_related(
            "regulation", "product_line"
        ).order_by("regulation__code", "order", "id")
        hotline_field.option_label = _hotline_label


class FinishCallForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("consumer_line", _("Consumer line")), ("information", _("Information only"))]
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class CallbackForm(forms.Form):
    phone = forms.CharField(label=_("Number to call back"), max_length=60, required=False)
    note = text_field(_("What the caller needs"), rows=2)


class PhoneEscalationForm(forms.Form):
    number = forms.CharField(label=_("Request number"), max_length=NUMBER_LENGTH)
    reason = forms.ChoiceField(label=_("Reason"), choices=Escalation.Reason.choices)
    text = text_field(_("What the caller says"), rows=2)


class PhoneReopenForm(forms.Form):
    number = forms.CharField(label=_("Request number"), max_length=NUMBER_LENGTH)
    reason = text_field(_("Why is the request reopened?"), rows=2, required_in_browser=True)


class CallbackAttemptForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Reached")), ("0", _("Not reached"))],
        coerce=lambda value: value == "1",
    )
    number = forms.CharField(
        label=_("Registered request (if any)"), max_length=NUMBER_LENGTH, required=False
    )
    result = forms.CharField(label=_("Note"), max_length=2000, required=False)


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        choices=[("1", _("Available")), ("0", _("Away"))], coerce=lambda value: value == "1"
    )
