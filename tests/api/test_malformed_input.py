"""Bad input is the request's fault, never a 500: malformed or too deep JSON is a 400 with a
JSON body, control characters and lone surrogates a 422 naming the field, months outside
2000–2100 a 422, and a zip covers at most 24 months."""

import re

import pytest

from attendance.extensions import db
from attendance.models import Composante, Trainee
from tests.api.helpers import assert_error, count
from tests.factories import (
    gen_composante,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_trainee,
    gen_user,
    token_for,
)

TRAINEE = {"last_name": "Martin", "first_name": "Léa", "boe": False, "aah": False}


@pytest.fixture
def admin(app):
    org = gen_org()
    user = gen_user(org, "admin")
    order = gen_purchase_order(org)
    composante = gen_composante(order)
    pathway = gen_pathway(gen_trainee(org), composante)
    db.session.commit()
    return {"headers": token_for(user), "order": order, "pathway": pathway}


def _concrete(rule: str) -> str:
    """A URL of the rule: ids 1, months 2026-03, weeks 2026-W10."""
    url = re.sub(r"<int:[a-z_]+>", "1", rule)
    url = re.sub(r"<(string:)?month>", "2026-03", url)
    url = re.sub(r"<(string:)?week>", "2026-W10", url)
    return re.sub(r"<[^>]+>", "x", url)


def _json_writes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            yield method, _concrete(rule.rule)


@pytest.mark.parametrize("body", ["{bad", '{"a": 1', "\xff\xfe", "   "])
def test_malformed_json_is_a_400_with_a_french_json_body_on_every_endpoint(
    client, app, admin, body
):
    writes = list(_json_writes(app))
    assert len(writes) > 20
    for method, url in writes:
        for headers in (admin["headers"], {}):
            response = client.open(
                url,
                method=method,
                data=body.encode("latin-1"),
                content_type="application/json",
                headers=headers,
            )
            assert response.status_code == 400, (method, url, response.get_data(as_text=True))
            assert_error(response, 400, "MALFORMED_JSON")
            assert "JSON" in response.get_json()["message"]


def test_public_signin_answers_malformed_json_in_json(client, app):
    response = client.post("/api/signins", data="{bad", content_type="application/json")
    body = assert_error(response, 400, "MALFORMED_JSON")
    assert body["message"].startswith("Corps de requête illisible")


def test_a_json_list_where_an_object_is_expected_is_a_422(client, admin):
    response = client.post("/api/signins", json=[1, 2])
    assert_error(response, 422, "VALIDATION_ERROR")
    response = client.post("/api/trainees", json=[TRAINEE], headers=admin["headers"])
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("depth", [33, 200, 100_000])
def test_json_nested_deeper_than_32_levels_is_refused_before_parsing(client, admin, depth):
    deep = "[" * depth + "]" * depth
    for url, headers in (("/api/signins", {}), ("/api/trainees", admin["headers"])):
        response = client.post(url, data=deep, content_type="application/json", headers=headers)
        body = assert_error(response, 400, "JSON_TOO_DEEP")
        assert "32" in body["message"]


def test_json_nested_within_the_bound_reaches_validation(client, admin):
    shallow = '{"last_name": ' + "[" * 30 + "]" * 30 + "}"
    response = client.post(
        "/api/trainees", data=shallow, content_type="application/json", headers=admin["headers"]
    )
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [
        ('"Mar\\u0000tin"', "U+0000"),
        ('"Mar\\ud800tin"', "U+D800"),
        ('"Mar\\u000btin"', "U+000B"),
        ('"Mar\\ttin"', "U+0009"),
        ('"Mar\\ntin"', "U+000A"),
        ('"Mar\\u009btin"', "U+009B"),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused_naming_the_field(
    client, admin, raw_name, shown
):
    body = '{"last_name": ' + raw_name + ', "first_name": "Léa", "boe": false, "aah": false}'
    response = client.post(
        "/api/trainees", data=body, content_type="application/json", headers=admin["headers"]
    )
    error = assert_error(response, 422, "INVALID_CHARACTERS")
    assert error["details"]["field"] == "last_name"
    assert "last_name" in error["message"] and shown in error["message"]
    assert count(Trainee) == 1  # only the fixture's


def test_a_control_character_in_a_code_or_a_query_is_refused(client, admin):
    headers = admin["headers"]
    order_id = admin["order"].id
    composante = {
        "purchase_order_id": order_id,
        "code": "B\x0bUR",
        "title": "Bureautique",
        "contracted_centre_hours": 100,
        "unit_price": "12.50",
    }
    response = client.post("/api/composantes", json=composante, headers=headers)
    assert_error(response, 422, "INVALID_CHARACTERS")
    assert count(Composante) == 1
    response = client.get("/api/trainees?q=Mar%00tin", headers=headers)
    assert_error(response, 422, "INVALID_CHARACTERS")


def test_nul_in_a_public_signin_token_is_a_422_not_a_database_error(client, admin):
    response = client.post(
        "/api/signins", json={"slot_id": 1, "token": "ab\x00cd", "signature": "data:image/png"}
    )
    assert_error(response, 422, "INVALID_CHARACTERS")


def test_a_multi_line_field_keeps_its_line_breaks_but_not_nul(client, admin):
    headers = admin["headers"]
    url = f"/api/documents/pathways/{admin['pathway'].id}/competences"
    good = {"evaluation_results": "Acquis :\r\n- tableur\n\t- texte", "skills": ["Tableur"]}
    response = client.put(url, json=good, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["evaluation_results"] == good["evaluation_results"]
    bad = {**good, "evaluation_results": "Acquis\x00"}
    error = assert_error(client.put(url, json=bad, headers=headers), 422, "INVALID_CHARACTERS")
    assert error["details"]["field"] == "evaluation_results"
    one_line = {**good, "skills": ["Tab\nleur"]}
    assert_error(client.put(url, json=one_line, headers=headers), 422, "INVALID_CHARACTERS")


@pytest.mark.parametrize("month", ["9999-12", "1999-12", "2101-01", "0001-01"])
def test_months_outside_2000_2100_are_a_422_in_french(client, admin, month):
    order_id = admin["order"].id
    for url in (
        f"/api/purchase-orders/{order_id}/months/{month}",
        f"/api/hours/purchase-orders/{order_id}/months/{month}",
        f"/api/billing/purchase-orders/{order_id}/months/{month}/lines",
        f"/api/documents/purchase-orders/{order_id}/documents.zip?from={month}",
    ):
        response = client.get(url, headers=admin["headers"])
        body = assert_error(response, 422, "MONTH_OUT_OF_RANGE")
        assert "2000" in body["message"] and "2100" in body["message"], url


def test_the_months_2000_and_2100_are_accepted(client, admin):
    order_id = admin["order"].id
    for month in ("2000-01", "2100-12"):
        response = client.get(
            f"/api/purchase-orders/{order_id}/months/{month}", headers=admin["headers"]
        )
        assert response.status_code < 500 and response.status_code != 422, response.get_json()


def test_a_zip_covers_at_most_24_months(client, admin):
    url = f"/api/documents/purchase-orders/{admin['order'].id}/documents.zip"
    response = client.get(f"{url}?from=1900-01&to=2100-12", headers=admin["headers"])
    assert_error(response, 422, "MONTH_OUT_OF_RANGE")
    response = client.get(f"{url}?from=2000-01&to=2100-12", headers=admin["headers"])
    body = assert_error(response, 422, "PERIOD_TOO_LONG")
    assert "24 mois" in body["message"]
    response = client.get(f"{url}?from=2025-01&to=2026-12", headers=admin["headers"])
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
