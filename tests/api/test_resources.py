"""Create, read, update and list through the API, with pagination and filters."""

from attendance.extensions import db
from tests.api.helpers import assert_error
from tests.factories import gen_org, gen_trainee, gen_user, token_for


def test_purchase_order_and_composante_round_trip(client, app):
    headers = token_for(gen_user(gen_org(), "billing"))
    order = client.post(
        "/api/purchase-orders",
        headers=headers,
        json={
            "number": "BDC-2026-1",
            "title": "Compétences Plus Albi",
            "dispositif": "COMPETENCES_PLUS",
            "mode": "hybride",
            "planned_start": "2026-02-02",
            "planned_end": "2027-03-31",
            "sites": ["Albi"],
            "planned_trainees": 12,
        },
    )
    assert order.status_code == 201, order.get_json()
    purchase_order_id = order.get_json()["id"]
    composante = client.post(
        "/api/composantes",
        headers=headers,
        json={
            "purchase_order_id": purchase_order_id,
            "code": "C1",
            "title": "Remise à niveau",
            "contracted_centre_hours": 1800,
            "contracted_company_hours": 420,
            "unit_price": "12.3456",
        },
    )
    assert composante.status_code == 201, composante.get_json()
    body = client.get(f"/api/composantes/{composante.get_json()['id']}", headers=headers).get_json()
    assert body["unit_price"] == "12.3456"
    assert body["contracted_centre_hours"] == 1800
    assert body["billing_unit"] == "trainee_hour"
    fetched = client.get(f"/api/purchase-orders/{purchase_order_id}", headers=headers).get_json()
    assert fetched["composante_ids"] == [composante.get_json()["id"]]
    patched = client.patch(
        f"/api/purchase-orders/{purchase_order_id}",
        headers=headers,
        json={"title": "Compétences Plus Albi 2"},
    )
    assert patched.get_json()["title"] == "Compétences Plus Albi 2"


def test_duplicate_bdc_number_is_refused(client, app):
    headers = token_for(gen_user(gen_org(), "billing"))
    body = {
        "number": "BDC-9",
        "dispositif": "COMPETENCES_PLUS",
        "mode": "presentiel",
        "planned_start": "2026-02-02",
        "planned_end": "2026-12-31",
    }
    assert client.post("/api/purchase-orders", headers=headers, json=body).status_code == 201
    assert_error(
        client.post("/api/purchase-orders", headers=headers, json=body), 409, "BDC_NUMBER_TAKEN"
    )


def test_unknown_dispositif_is_refused_with_the_known_ones(client, app):
    headers = token_for(gen_user(gen_org(), "billing"))
    response = client.post(
        "/api/purchase-orders",
        headers=headers,
        json={
            "number": "BDC-9",
            "dispositif": "INCONNU",
            "mode": "presentiel",
            "planned_start": "2026-02-02",
            "planned_end": "2026-12-31",
        },
    )
    body = assert_error(response, 400, "UNKNOWN_DISPOSITIF")
    assert "COMPETENCES_PLUS" in body["message"]


def test_trainees_are_paginated_and_searchable(client, app):
    org = gen_org()
    headers = token_for(gen_user(org, "billing"))
    for index in range(7):
        gen_trainee(org, last_name=f"Nom{index:02d}", boe=index % 2 == 0)
    gen_trainee(org, last_name="Zidane", first_name="Inès")
    db.session.commit()
    page = client.get("/api/trainees?page=2&per_page=3", headers=headers).get_json()
    assert page["total"] == 8 and page["page"] == 2 and page["per_page"] == 3
    assert [t["last_name"] for t in page["items"]] == ["Nom03", "Nom04", "Nom05"]
    found = client.get("/api/trainees?q=zid", headers=headers).get_json()["items"]
    assert [t["first_name"] for t in found] == ["Inès"]
    boe = client.get("/api/trainees?boe=true", headers=headers).get_json()
    assert boe["total"] == 4
    assert_error(client.get("/api/trainees?per_page=500", headers=headers), 422, "VALIDATION_ERROR")


def test_slot_times_need_a_timezone_and_an_end_after_the_start(client, app):
    from tests.factories import gen_composante, gen_purchase_order

    org = gen_org()
    headers = token_for(gen_user(org, "billing"))
    composante = gen_composante(gen_purchase_order(org))
    db.session.commit()
    naive = client.post(
        "/api/slots",
        headers=headers,
        json={
            "composante_id": composante.id,
            "kind": "centre",
            "starts_at": "2026-03-03T09:00:00",
            "ends_at": "2026-03-03T12:30:00",
        },
    )
    body = assert_error(naive, 422, "VALIDATION_ERROR")
    assert "fuseau" in body["details"]["fields"]["starts_at"][0]
    backwards = client.post(
        "/api/slots",
        headers=headers,
        json={
            "composante_id": composante.id,
            "kind": "centre",
            "starts_at": "2026-03-03T12:30:00+01:00",
            "ends_at": "2026-03-03T09:00:00+01:00",
        },
    )
    assert_error(backwards, 400, "SLOT_END_BEFORE_START")
    ok = client.post(
        "/api/slots",
        headers=headers,
        json={
            "composante_id": composante.id,
            "kind": "centre",
            "starts_at": "2026-03-03T09:00:00+01:00",
            "ends_at": "2026-03-03T12:30:00+01:00",
        },
    )
    assert ok.status_code == 201
    assert ok.get_json()["starts_at"].startswith("2026-03-03T08:00:00")
