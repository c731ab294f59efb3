"""Schemathesis over the API's own OpenAPI schema, as a customer and as an engineer.

Every operation of /api/v1/openapi.json gets generated requests through the WSGI application
(``config.wsgi``), authenticated with a Bearer token; no response may be a server error, carry a
status the operation does not declare, or break the declared schema. Half of the examples aim at
a real ticket (number, priority proposal, attachment) so that they pass the access check and reach
the services.

Deterministic and bounded: derandomized Hypothesis, a fixed number of examples per operation, no
shrinking (the first failing example is reported as it was generated).
"""

from __future__ import annotations

import json

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from supportdesk.api.api import api
from supportdesk.api.services import create_api_token

MAX_EXAMPLES = 25
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
ROLES = ["customer_alpha", "engineer"]


def load_schema():
    # The same document /api/v1/openapi.json serves; built in-process, no request needed.
    raw = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    # django-ninja declares OpenAPI 3.1; schemathesis 3 reads it as 3.0 (the parts used agree).
    return schemathesis.from_dict(raw, app=application, force_schema_version="30")


SCHEMA = load_schema()
OPERATIONS = {
    operation.verbose_name: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}


@pytest.fixture
def world(shared_world):
    """Every database test here uses alpha's world: built once for the module."""
    return shared_world


@pytest.fixture
def wsgi_in_test_transaction():
    """Django closes the connection after each WSGI request; inside the test's transaction that
    would discard it. The test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 20, sorted(OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_api_operation(world, cast, wsgi_in_test_transaction, role, name):
    operation = OPERATIONS[name]
    _, token = create_api_token(user=getattr(cast, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {token}"}
    real = {
        "number": world.ticket.number,
        "proposal_id": world.proposal.pk,
        "attachment_id": world.public_attachment.pk,
    }

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(), aim=st.booleans())
    def run(case, aim):
        if aim and case.path_parameters:
            for key in case.path_parameters.keys() & real.keys():
                case.path_parameters[key] = real[key]
        response = case.call_wsgi(app=application, headers=headers)
        # Checked first and reported plainly: schemathesis' own report decodes the body as text
        # and fails with UnicodeDecodeError on an undeclared binary response (a file download).
        declared = operation.definition.raw.get("responses", {})
        status = str(response.status_code)
        assert status in declared or "default" in declared, (
            f"{operation.verbose_name} answered {status} ({response.content_type}), which its "
            f"schema does not declare (declared: {', '.join(sorted(declared))}); request: "
            f"{case.path_parameters} {case.query} {repr(case.body)[:200]}"
        )
        if response.mimetype == "application/json":
            case.validate_response(response, checks=CHECKS)
        else:  # a file download: declared above, and the body is the stored file's bytes
            assert response.status_code == 200
            assert response.headers["Content-Disposition"].startswith("attachment;")

    run()


def missing_statuses(operation) -> list[str]:
    """Statuses the API answers for this operation that its schema does not declare: 401 without
    a valid token (every operation needs one), 400 for a body that is not JSON and 422 for input
    that fails validation (``_invalid`` in api.py)."""
    raw = operation.definition.raw
    declared = set(raw.get("responses", {}))
    expected = {"401"}
    content = raw.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        expected |= {"400", "422"}
    if content or any(
        p.get("schema", {}).get("type") not in (None, "string") for p in raw.get("parameters", [])
    ):
        expected.add("422")
    return sorted(expected - declared)


def test_operations_declare_their_error_statuses():
    """Schemathesis' status_code_conformance only means something if the schema lists every
    status an operation answers; the fuzzing above always sends a valid token and valid JSON."""
    missing = {
        name: statuses
        for name, operation in sorted(OPERATIONS.items())
        if (statuses := missing_statuses(operation))
    }
    assert not missing, "Undeclared statuses:\n" + "\n".join(
        f"  {name}: {', '.join(statuses)}" for name, statuses in missing.items()
    )
