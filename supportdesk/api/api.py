"""REST API under /api/v1 (django-ninja); OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

api = NinjaAPI(title="supportdesk", version="1", urls_namespace="api")
