"""Health and metrics endpoints for load balancers and monitoring (docs/operations.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from supportdesk import access
from supportdesk.ops.checks import readiness
from supportdesk.ops.metrics import exposition


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answers; touches nothing else."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every readiness check passes, 503 otherwise; the checks in the body."""
    results = readiness(timezone.now())
    ready = all(result.ok for result in results)
    body = {
        "ready": ready,
        "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
    }
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not access.may_read_metrics(request):
        return HttpResponseForbidden("metrics: address not allowed or bearer token missing\n")
    return HttpResponse(exposition(timezone.now()), content_type=CONTENT_TYPE_LATEST)
