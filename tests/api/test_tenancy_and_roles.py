"""Organisations never see or touch each other's data; each role does only its part.

The endpoint table below covers every list and detail route of the API; a test fails if a
route stops filtering by organisation or stops checking the role.
"""

import pytest

from attendance.extensions import db
from attendance.models import Composante, Pathway, PurchaseOrder, Slot, Trainee
from tests.api.helpers import assert_error, count
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


@pytest.fixture
def two_orgs(app):
    """Organisation A (the caller) and B (the other tenant), each with one of everything."""
    data = {}
    for key in ("a", "b"):
        org = gen_org(f"Organisme {key.upper()}")
        trainer = gen_user(org, "trainer")
        order = gen_purchase_order(org)
        composante = gen_composante(order)
        trainee = gen_trainee(org)
        pathway = gen_pathway(trainee, composante)
        slot = gen_slot(composante, trainer_id=trainer.id)
        data[key] = {
            "org": org,
            "trainer": trainer,
            "purchase-orders": order,
            "composantes": composante,
            "trainees": trainee,
            "pathways": pathway,
            "slots": slot,
        }
    db.session.commit()
    return data


RESOURCES = ["purchase-orders", "composantes", "trainees", "pathways", "slots"]
MODELS = {
    "purchase-orders": PurchaseOrder,
    "composantes": Composante,
    "trainees": Trainee,
    "pathways": Pathway,
    "slots": Slot,
}
PATCHES = {
    "purchase-orders": {"title": "Piraté"},
    "composantes": {"title": "Piraté"},
    "trainees": {"last_name": "Piraté"},
    "pathways": {"planned_exit_date": "2026-07-10"},
    "slots": {"title": "Piraté"},
}


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_show_only_the_callers_organisation(client, two_orgs, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], "admin"))
    items = client.get(f"/api/{resource}", headers=headers).get_json()["items"]
    assert [item["id"] for item in items] == [two_orgs["a"][resource].id]


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_organisations_record_is_not_found(client, two_orgs, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], "admin"))
    foreign = two_orgs["b"][resource].id
    assert_error(client.get(f"/api/{resource}/{foreign}", headers=headers), 404, "NOT_FOUND")
    assert (
        client.get(f"/api/{resource}/{two_orgs['a'][resource].id}", headers=headers).status_code
        == 200
    )


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_organisations_record_cannot_be_changed(client, two_orgs, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], "admin"))
    foreign = two_orgs["b"][resource]
    before = {c.name: getattr(foreign, c.name) for c in MODELS[resource].__table__.columns}
    response = client.patch(
        f"/api/{resource}/{foreign.id}", json=PATCHES[resource], headers=headers
    )
    assert_error(response, 404, "NOT_FOUND")
    db.session.expire_all()
    after = db.session.get(MODELS[resource], foreign.id)
    assert {c: getattr(after, c) for c in before} == before


@pytest.mark.parametrize("resource", ["trainees", "pathways", "slots"])
def test_another_organisations_record_cannot_be_deleted(client, two_orgs, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], "admin"))
    before = count(MODELS[resource])
    response = client.delete(f"/api/{resource}/{two_orgs['b'][resource].id}", headers=headers)
    assert_error(response, 404, "NOT_FOUND")
    assert count(MODELS[resource]) == before


def test_records_cannot_point_at_another_organisations_parents(client, two_orgs):
    a, b = two_orgs["a"], two_orgs["b"]
    headers = token_for(gen_user(a["org"], "admin"))
    attempts = [
        (
            "/api/composantes",
            {
                "purchase_order_id": b["purchase-orders"].id,
                "code": "X",
                "title": "X",
                "contracted_centre_hours": 10,
                "unit_price": "1",
            },
        ),
        (
            "/api/pathways",
            {
                "trainee_id": b["trainees"].id,
                "composante_id": a["composantes"].id,
                "entry_date": "2026-03-02",
                "planned_exit_date": "2026-05-01",
                "prescribed_centre_hours": 10,
            },
        ),
        (
            "/api/pathways",
            {
                "trainee_id": a["trainees"].id,
                "composante_id": b["composantes"].id,
                "entry_date": "2026-03-02",
                "planned_exit_date": "2026-05-01",
                "prescribed_centre_hours": 10,
            },
        ),
        (
            "/api/slots",
            {
                "composante_id": b["composantes"].id,
                "kind": "centre",
                "starts_at": "2026-03-03T09:00:00+01:00",
                "ends_at": "2026-03-03T12:30:00+01:00",
            },
        ),
        (
            "/api/slots",
            {
                "composante_id": a["composantes"].id,
                "kind": "centre",
                "trainer_id": b["trainer"].id,
                "starts_at": "2026-03-03T09:00:00+01:00",
                "ends_at": "2026-03-03T12:30:00+01:00",
            },
        ),
    ]
    counts = {model: count(model) for model in MODELS.values()}
    for url, body in attempts:
        assert_error(client.post(url, json=body, headers=headers), 404, "NOT_FOUND")
    assert {model: count(model) for model in MODELS.values()} == counts


def test_list_filters_cannot_reach_another_organisation(client, two_orgs):
    headers = token_for(gen_user(two_orgs["a"]["org"], "admin"))
    b_order = two_orgs["b"]["purchase-orders"].id
    for resource in ("composantes", "pathways", "slots"):
        body = client.get(f"/api/{resource}?purchase_order_id={b_order}", headers=headers)
        assert body.get_json()["items"] == []


@pytest.mark.parametrize("role", ["trainer", "auditor"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_trainers_and_auditors_change_nothing(client, two_orgs, role, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], role))
    record = two_orgs["a"][resource]
    response = client.patch(f"/api/{resource}/{record.id}", json=PATCHES[resource], headers=headers)
    assert_error(response, 403, "FORBIDDEN")
    assert "rôle" in response.get_json()["message"]


@pytest.mark.parametrize("resource", ["purchase-orders", "composantes", "pathways"])
def test_trainers_do_not_see_contracts_and_prices(client, two_orgs, resource):
    headers = token_for(gen_user(two_orgs["a"]["org"], "trainer"))
    assert_error(client.get(f"/api/{resource}", headers=headers), 403, "FORBIDDEN")


def test_trainers_see_only_their_own_slots(client, two_orgs):
    a = two_orgs["a"]
    own = a["slots"]
    colleague = gen_user(a["org"], "trainer")
    theirs = gen_slot(a["composantes"], trainer_id=colleague.id)
    db.session.commit()
    headers = token_for(a["trainer"])
    items = client.get("/api/slots", headers=headers).get_json()["items"]
    assert [item["id"] for item in items] == [own.id]
    assert_error(client.get(f"/api/slots/{theirs.id}", headers=headers), 404, "NOT_FOUND")
    assert client.get(f"/api/slots/{own.id}", headers=headers).status_code == 200


def test_auditors_read_everything_of_their_organisation(client, two_orgs):
    headers = token_for(gen_user(two_orgs["a"]["org"], "auditor"))
    for resource in RESOURCES:
        response = client.get(f"/api/{resource}", headers=headers)
        assert response.status_code == 200
        assert len(response.get_json()["items"]) == 1


def test_billing_staff_cannot_manage_imports_of_another_role_but_can_write_contracts(
    client, two_orgs
):
    headers = token_for(gen_user(two_orgs["a"]["org"], "billing"))
    response = client.patch(
        f"/api/trainees/{two_orgs['a']['trainees'].id}",
        json={"phone": "0600000000"},
        headers=headers,
    )
    assert response.status_code == 200


def test_requests_without_a_valid_token_are_refused(client, two_orgs):
    assert_error(client.get("/api/trainees"), 401, "UNAUTHORIZED")
    assert_error(
        client.get("/api/trainees", headers={"Authorization": "Bearer att_forged"}),
        401,
        "UNAUTHORIZED",
    )
    assert_error(
        client.get("/api/trainees", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED"
    )


def test_a_deactivated_users_token_stops_working(client, two_orgs):
    user = gen_user(two_orgs["a"]["org"], "admin")
    headers = token_for(user)
    assert client.get("/api/trainees", headers=headers).status_code == 200
    user.active = False
    db.session.commit()
    assert_error(client.get("/api/trainees", headers=headers), 401, "UNAUTHORIZED")
