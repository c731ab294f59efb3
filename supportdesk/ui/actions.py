"""Running one ticket action behind a form: validate, perform, put a refusal onto the form.

Each HTML interface keeps a table of its action URLs (``FormAction``): which action (the name in
``tickets.actions.ACTION_STATES``, also the key of its form on the page), which form, and the
message shown after it succeeded. One generic view per interface serves the whole table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.http import Http404
from django.utils.functional import Promise

from supportdesk.tickets.actions import TicketActionError
from supportdesk.tickets.models import Ticket
from supportdesk.ui.forms import TicketActionForm


@dataclass(frozen=True)
class FormAction:
    action: str
    form: type[TicketActionForm]
    success: Promise | Callable[[Ticket], str]

    def message(self, result: Ticket) -> str:
        return str(self.success) if isinstance(self.success, Promise) else self.success(result)


def run_action(form: TicketActionForm) -> Ticket | None:
    """Validate ``form`` and perform its action. On a TicketActionError nothing changed: its
    message goes onto the form (on the field it names) and None is returned; ``form.status`` is
    the HTTP status the page answers with."""
    if not form.is_valid():
        form.status = 422
        return None
    try:
        return form.perform()
    except TicketActionError as error:
        if error.status == 404 and not error.fields:
            raise Http404 from error
        field = next((name for name in error.fields if name in form.fields), None)
        form.add_error(field, error.message)
        form.status = error.status
        return None


def form_error(form: forms.Form) -> str:
    """The first error of a failed form, for the alert at the top of the page."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return ""
