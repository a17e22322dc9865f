"""Property-based API tests generated from the OpenAPI schema (schemathesis): whatever a client
sends that the schema admits, or gets slightly wrong, the service answers with a documented
status and a body that matches the schema, never a 500. The requests go to the session client,
which serves the real model and index."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from service.api.app import create_app
from service.config import Settings

# Only the schema is read here: the lifespan (model and index loading) does not run for it.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings()))


@schema.parametrize()
# Derandomized so CI runs repeat; drop that and raise max_examples to explore further.
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: schemathesis.Case, client: TestClient) -> None:
    response = client.request(**case.as_transport_kwargs(base_url=str(client.base_url)))
    case.validate_response(response)
