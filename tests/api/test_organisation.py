"""``/api/organisation``: the settings through the API, refused as on the settings page."""

import pytest
import schemathesis
from schemathesis import GenerationMode

from attendance.extensions import db
from attendance.models import Organisation
from tests.api.test_fuzzing import CHECKS, _run, _seed
from tests.factories import gen_org, gen_user, token_for


def test_an_invalid_siret_is_refused_field_by_field_and_nothing_saved(client, app):
    org = gen_org("Avant")
    headers = token_for(gen_user(org, "admin"))
    response = client.patch(
        "/api/organisation", json={"name": "Après", "siret": "73282932000075"}, headers=headers
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "SETTINGS_REFUSED"
    assert body["details"]["fields"]["siret"].startswith("SIRET invalide")
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).name == "Avant"


def test_an_admin_reads_and_changes_the_settings(client, app):
    org = gen_org()
    headers = token_for(gen_user(org, "admin"))
    changes = {"siret": "732 829 320 00074", "vat_rate": "20", "retention_years": 8}
    response = client.patch("/api/organisation", json=changes, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = client.get("/api/organisation", headers=headers).get_json()
    assert (body["siret"], body["vat_exempt"], body["vat_rate"]) == (
        "73282932000074",
        False,
        "20.00",
    )
    assert body["retention_years"] == 8 and body["has_stamp"] is False


@pytest.mark.parametrize("role", ["billing", "trainer", "auditor"])
def test_only_admins_reach_the_settings(client, app, role):
    headers = token_for(gen_user(gen_org(), role))
    assert client.get("/api/organisation", headers=headers).status_code == 403


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_settings_operations_survive_fuzzing(app, mode):
    headers = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, statuses = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/organisation":
            chosen = CHECKS if mode == GenerationMode.POSITIVE else CHECKS[:1]
            failures += _run(operation, headers, statuses, mode, tuple(chosen))
    assert len(statuses) >= 4
    assert not failures, "\n\n".join(failures)
