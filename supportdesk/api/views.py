"""The user's own API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportdesk.access import AuthenticatedRequest
from supportdesk.api.models import ApiToken
from supportdesk.api.services import create_api_token, revoke_api_token


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. the monitoring integration."),
    )


@login_required
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        _token, created = create_api_token(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    return render(request, "api/tokens.html", {"form": form, "tokens": rows, "created": created})


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    try:
        token = revoke_api_token(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")
