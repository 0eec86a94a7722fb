"""Schemathesis fuzzes every operation of ``/api/openapi.json`` as an authenticated admin
(and public operations as anyone): no 5xx, and every response matches the documented status
codes, content types and schemas. A second pass sends data that does NOT fit the schema
(negative mode) with the "no 5xx" check alone, and explicit malformed bodies (invalid JSON,
a list for an object, NUL, a lone surrogate, deep nesting, month 9999-12) go to a handful of
operations, the public sign-in included. "Schema-valid requests are accepted" stays off
everywhere. Bounded (``FUZZ_EXAMPLES`` per operation, derandomised) so it runs in CI on both
databases."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from attendance.extensions import db
from attendance.models import PurchaseOrder, Trainee
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


def _run(
    operation,
    headers: dict,
    statuses: list[int],
    mode: GenerationMode = GenerationMode.POSITIVE,
    chosen_checks=tuple(CHECKS),
) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
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
            case.validate_response(response, checks=list(chosen_checks))
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


def test_every_api_operation_answers_data_outside_its_schema_without_a_5xx(app):
    """Negative mode: wrong types, missing fields, values beyond every bound; only the
    "no 5xx" check applies (a 4xx is what such data deserves)."""
    headers = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        failures += _run(
            operation,
            headers,
            statuses,
            GenerationMode.NEGATIVE,
            (checks.not_a_server_error,),
        )
    assert operations > 50
    assert statuses and all(status < 500 for status in statuses)
    assert not failures, "\n\n".join(failures)


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED_BODIES = {
    "invalid JSON": (b'{"token": "abc"', 400),
    "not UTF-8": (b'{"token": "\xff\xfe"}', 400),
    "a list for an object": (b"[1, 2, 3]", 422),
    "NUL in a text": (b'{"token": "ab\\u0000cd", "last_name": "a\\u0000b"}', 422),
    "lone surrogate": (b'{"token": "ab\\ud800cd", "last_name": "a\\udc00b"}', 422),
    "deep nesting": (DEEP.encode(), 400),
}
MALFORMED_TARGETS = [
    ("POST", "/api/signins"),
    ("POST", "/api/signins/kiosk"),
    ("POST", "/api/trainees"),
    ("POST", "/api/composantes"),
    ("POST", "/api/auth/token"),
]


@pytest.mark.parametrize("kind", MALFORMED_BODIES)
def test_malformed_bodies_are_refused_with_a_json_4xx_never_a_5xx(app, kind):
    headers = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    raw, status = MALFORMED_BODIES[kind]
    for method, path in MALFORMED_TARGETS:
        operation = schema[path][method]
        case = operation.Case(media_type="application/json")
        response = case.call(headers={**headers, "Content-Type": "application/json"}, data=raw)
        case.validate_response(response, checks=[checks.not_a_server_error])
        assert response.status_code == status, (kind, path, response.text)
        assert response.json()["message"], (kind, path)


def test_a_month_outside_2000_2100_is_a_422_for_every_operation_taking_a_month(app):
    headers = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    order_id = db.session.scalar(db.select(PurchaseOrder.id))
    trainee_id = db.session.scalar(db.select(Trainee.id))
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "{month}" not in operation.path:
            continue
        seen += 1
        ids = {"purchase_order_id": order_id, "trainee_id": trainee_id, "month": "9999-12"}
        parameters = {name: ids.get(name, 1) for name in _path_parameter_names(operation.path)}
        if len(operation.body):  # the one body under a month: a reopening's reason
            case = operation.Case(path_parameters=parameters, body={"reason": "Erreur de saisie"})
        else:
            case = operation.Case(path_parameters=parameters)
        response = case.call(headers=headers)
        case.validate_response(response, checks=[checks.not_a_server_error])
        assert response.json()["code"] == "MONTH_OUT_OF_RANGE", (operation.path, response.text)
        assert response.status_code == 422
    assert seen >= 10


def _path_parameter_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
