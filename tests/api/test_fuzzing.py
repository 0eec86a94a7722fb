"""Schemathesis fuzzes every operation of ``/api/openapi.json`` as an authenticated admin
(and public operations as anyone): no 5xx, and every response matches the documented status
codes, content types and schemas. Bounded (``FUZZ_EXAMPLES`` per operation, derandomised) so
it runs in CI on both databases."""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from attendance.extensions import db
from tests.factories import (
    gen_composante,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    token_for,
)

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# What the issue asks: no 5xx, documented status codes, content types, headers and bodies.
# (positive_data_acceptance is left out: the spec does not express every business check,
# e.g. that ``dispositif`` must name a known dispositif, so a 422 there is right.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _seed() -> dict:
    org = gen_org()
    admin = gen_user(org, "admin")
    order = gen_purchase_order(org)
    composante = gen_composante(order)
    trainee = gen_trainee(org)
    gen_pathway(trainee, composante)
    gen_slot(composante)
    db.session.commit()
    return token_for(admin)


def _run(operation, headers: dict, statuses: list[int]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        try:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)
        except Exception as error:  # collect every operation's failures, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
            raise

    try:
        fuzz()
    except (BaseExceptionGroup, Exception):  # recorded above; fuzz the other operations
        db.session.rollback()
    return failures[:1]


def test_every_api_operation_survives_fuzzing_and_matches_its_schema(app):
    headers = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        failures += _run(operation, headers, statuses)
    assert operations > 50
    assert len(statuses) >= 2 * operations
    assert sum(200 <= s < 300 for s in statuses) > operations // 2  # not only refusals
    assert not failures, "\n\n".join(failures)
