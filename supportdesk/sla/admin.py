"""Admin of the SLA engine: the matrix as a grid, and the deadline recalculations it queues."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportdesk.sla import retime
from supportdesk.sla.matrix import MatrixForm
from supportdesk.sla.models import RetimeJob, SlaMatrix


@admin.register(SlaMatrix)
class SlaMatrixAdmin(admin.ModelAdmin):
    """Pick a regulation, edit its matrix as levels × priorities in hours and minutes. Saving
    first shows how many open tickets the change re-times, then saves on confirmation."""

    list_display = ("code", "name")
    search_fields = ("code", "name", "name_en")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # The grid edits SLA cells: the SLA cell permissions govern it.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("regulations.view_slatarget") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("regulations.change_slatarget")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        regulation = self.get_object(request, unquote(object_id))
        if regulation is None:
            raise Http404
        if not self.has_change_permission(request, regulation):
            return _forbidden(request)
        form = MatrixForm(regulation, request.POST or None)
        preview: dict[str, Any] | None = None
        if request.method == "POST" and form.is_valid():
            signature = form.signature()
            if not form.changes():
                self.message_user(request, _("Nothing changed."), messages.INFO)
            elif request.POST.get("confirm") == signature:
                affected = form.save(actor=request.user)
                self.message_user(
                    request,
                    ngettext(
                        "The SLA matrix is saved; %(count)d open ticket is being re-timed.",
                        "The SLA matrix is saved; %(count)d open tickets are being re-timed.",
                        affected,
                    )
                    % {"count": affected},
                )
                return HttpResponseRedirect(request.path)
            else:
                preview = {
                    "affected": retime.count_affected(form.scope()),
                    "changes": form.changes(),
                    "signature": signature,
                }
        context = {
            **self.admin_site.each_context(request),
            "title": _("SLA matrix of %(regulation)s") % {"regulation": regulation},
            "opts": self.opts,
            "original": regulation,
            "form": form,
            "preview": preview,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/sla_matrix.html", context)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "403.html", status=403)


@admin.register(RetimeJob)
class RetimeJobAdmin(admin.ModelAdmin):
    list_display = (
        "requested_at",
        "cause",
        "description",
        "requested_by",
        "finished_at",
        "tickets_seen",
        "tickets_retimed",
    )
    list_filter = ("cause",)
    readonly_fields = [f.name for f in RetimeJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
