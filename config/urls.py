from django.contrib import admin
from django.urls import include, path

from supportdesk.api import views as api_views
from supportdesk.ops import views as ops_views

# allauth answers its own rate-limit refusals through this (with Retry-After).
handler429 = "supportdesk.accounts.throttling.handler429"

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("supportdesk.api.urls")),
    path("api-tokens/", api_views.tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", api_views.revoke, name="api_token_revoke"),
    path("workspace/", include("supportdesk.workspace.urls")),
    path("", include("supportdesk.portal.urls")),
]
