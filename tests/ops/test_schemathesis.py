"""schemathesis against our own OpenAPI schema (the one /api/schema/ serves), CI-sized.

Every documented operation is called with a few generated requests (valid and invalid
bodies, odd path ids, odd query strings) as a dispatcher of a test community, through
the WSGI app in-process. The answers must never be a 5xx; under /api/v1/ (the REST
contract of DESIGN §4) each answer must also have a documented status code, content type
and body schema. The field app and dispatch endpoints are plain APIViews that
drf-spectacular cannot describe, so only the "no 5xx" check applies to them.

A bigger run (more examples, stateful links) is `python -m benchmarks schemathesis_run`.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role

# The same document as GET /api/schema/ (SERVE_PUBLIC), built without a request so that
# collecting this module needs no database.
# The CI run: explicit examples and `EXAMPLES` generated requests per operation; the
# coverage phase (hundreds of boundary values per operation) is left to the benchmark.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
schema.app = get_wsgi_application()

CONTRACT_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]  # fmt: skip
EXAMPLES = 20  # per operation: ~60 operations in about a minute and a half


@pytest.fixture
def dispatcher_token(community, api_as) -> Iterator[str]:
    """`Token <key>` of a dispatcher of the test community, for in-process WSGI calls.

    Django closes the connection at the end of every request unless the test client's
    handler is used; schemathesis calls the plain WSGI app, and a closed connection would
    end the test transaction. The same two signals Django's test client silences.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        client = api_as(community, Role.DISPATCHER)
        yield client._credentials["HTTP_AUTHORIZATION"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_operation(case, dispatcher_token):
    checks = CONTRACT_CHECKS if case.operation.path.startswith("/api/v1/") else [not_a_server_error]
    case.call_and_validate(headers={"Authorization": dispatcher_token}, checks=checks)


def test_the_schema_covers_the_rest_api():
    """The run above only means something if the schema lists the API of DESIGN §4."""
    paths = {op.path for op in schema.get_all_operations() if hasattr(op, "path")} or set(
        schema.raw_schema["paths"]
    )
    for resource in ["assets", "zones", "reports", "interventions", "missions", "teams"]:
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{id}}/" in paths
    assert "/api/v1/auth/token/" in paths
