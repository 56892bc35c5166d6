"""schemathesis against the served OpenAPI schema: every operation, then stateful sequences
through the links schemathesis infers (create a message, then read it back by its id).

0 server errors and 0 schema violations: a response's status code, content type, headers and
body must all be what /api/schema/ promises, and schema-violating input is refused with a 4xx.
Bounded: SCHEMATHESIS_MAX_EXAMPLES per operation (default 25) and per state machine (default
10 scenarios of up to 6 steps); raise them for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clarioscope.wsgi import application
from intake.services import api_key_create, practice_get_or_create

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
STATEFUL_EXAMPLES = int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "10"))
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Operations that accept some input their schema does not allow (reported to intake): a JSON
# number where a string is declared is stored as its text, and a blank `?status=` filter means
# "no filter" (DRF's form semantics). Both are lenient, not unsafe; every other operation must
# refuse schema-violating input with a 4xx.
LENIENT_INPUT = {
    "GET /api/v1/messages/",
    "POST /api/v1/messages/",
    "POST /api/v1/messages/batch/",
}
HYPOTHESIS = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# Raw RFC 822 uploads: schemathesis sends the generated text as the message bytes.
schemathesis.serializer.alias("message/rfc822", "text/plain")

# Loaded once at collection: serving the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def checks_for(case: Any) -> list[Any]:
    if f"{case.operation.method.upper()} {case.operation.path}" in LENIENT_INPUT:
        return RESPONSE_CHECKS
    return [*RESPONSE_CHECKS, negative_data_rejection]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    """schemathesis calls the real WSGI handler, which closes "old" database connections at each
    request start and end; inside the test's transaction that would close the test's own
    connection (PostgreSQL). Django's test client unhooks the same signal handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(db: Any) -> dict[str, str]:
    practice = practice_get_or_create(slug="schema-clinic")[0]
    return {"Authorization": f"Api-Key {api_key_create(practice=practice).raw_key}"}


@schema.parametrize()
@settings(HYPOTHESIS, max_examples=MAX_EXAMPLES)
def test_every_operation_answers_as_its_schema_promises(case: Any, api_headers: dict[str, str]):
    case.call_and_validate(headers=api_headers, checks=checks_for(case))


def test_stateful_sequences_answer_as_the_schema_promises(api_headers: dict[str, str]):
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": api_headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=checks_for(case), headers=api_headers)

    Workflow.run(
        settings=settings(HYPOTHESIS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=6)
    )
