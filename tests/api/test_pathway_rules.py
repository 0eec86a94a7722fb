"""Each write rule through the API: accepted, refused with its code and French message, and
nothing written on refusal."""

from datetime import date

import pytest

from attendance.extensions import db
from attendance.models import Composante, Pathway, PathwayEvent, PurchaseOrder, Trainee
from tests.api.helpers import assert_error, count
from tests.factories import (
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    token_for,
)


@pytest.fixture
def setting(app):
    org = gen_org()
    headers = token_for(gen_user(org, "billing"))
    order = gen_purchase_order(org)
    composante = gen_composante(
        order, contracted_centre_minutes=400 * 60, contracted_company_minutes=140 * 60
    )
    trainee = gen_trainee(org)
    db.session.commit()
    return org, headers, order, composante, trainee


def _pathway(trainee, composante, **overrides):
    body = {
        "trainee_id": trainee.id,
        "composante_id": composante.id,
        "entry_date": "2026-03-02",
        "planned_exit_date": "2026-07-03",
        "prescribed_centre_hours": 130,
        "prescribed_company_hours": 70,
    }
    body.update(overrides)
    return body


def test_pathway_of_200_hours_with_70_in_company_is_accepted(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post("/api/pathways", json=_pathway(trainee, composante), headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["prescribed_centre_hours"] == 130
    stored = db.session.scalars(db.select(Pathway)).one()
    assert stored.prescribed_centre_minutes == 130 * 60
    assert stored.prescribed_company_minutes == 70 * 60


def test_pathway_over_200_hours_is_refused_and_nothing_stored_r1(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, prescribed_centre_hours=130.5),
        headers=headers,
    )
    body = assert_error(response, 422, "R1_PATHWAY_HOURS_EXCEEDED")
    assert "limité à 200,00 h" in body["message"]
    assert count(Pathway) == 0 and count(PathwayEvent) == 0


def test_company_period_over_70_hours_is_refused_r2(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways",
        json=_pathway(
            trainee, composante, prescribed_centre_hours=100, prescribed_company_hours=71
        ),
        headers=headers,
    )
    body = assert_error(response, 422, "R2_COMPANY_HOURS_EXCEEDED")
    assert "70,00 h" in body["message"]
    assert count(Pathway) == 0


def test_entry_in_the_following_year_is_refused_r6(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, entry_date="2027-01-11", planned_exit_date="2027-05-01"),
        headers=headers,
    )
    body = assert_error(response, 422, "R6_ENTRY_YEAR")
    assert "2026" in body["message"]
    assert count(Pathway) == 0


def test_update_that_breaks_r1_leaves_the_pathway_unchanged(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    db.session.commit()
    response = client.patch(
        f"/api/pathways/{pathway.id}", json={"prescribed_centre_hours": 190}, headers=headers
    )
    assert_error(response, 422, "R1_PATHWAY_HOURS_EXCEEDED")
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).prescribed_centre_minutes == 150 * 60
    assert count(PathwayEvent) == 1  # only "created"


def test_opening_date_follows_the_first_entry_r8(client, setting):
    org, headers, order, composante, trainee = setting
    other = gen_trainee(org)
    db.session.commit()
    first = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, entry_date="2026-03-09"),
        headers=headers,
    )
    assert (
        client.get(f"/api/purchase-orders/{order.id}", headers=headers).get_json()["opening_date"]
        == "2026-03-09"
    )
    client.post(
        "/api/pathways", json=_pathway(other, composante, entry_date="2026-02-16"), headers=headers
    )
    assert (
        client.get(f"/api/purchase-orders/{order.id}", headers=headers).get_json()["opening_date"]
        == "2026-02-16"
    )
    # Postponing the earliest entry moves the opening date with it.
    pathway_id = first.get_json()["id"]
    other_id = db.session.scalars(db.select(Pathway.id).where(Pathway.trainee_id == other.id)).one()
    response = client.patch(
        f"/api/pathways/{other_id}",
        json={"entry_date": "2026-03-16", "reason": "Entrée reportée"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert (
        client.get(f"/api/purchase-orders/{order.id}", headers=headers).get_json()["opening_date"]
        == "2026-03-09"
    )
    assert pathway_id != other_id


def test_opening_date_cannot_be_set_by_hand_r8(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.patch(
        f"/api/purchase-orders/{order.id}", json={"opening_date": "2026-01-05"}, headers=headers
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).opening_date is None


def test_moved_dates_are_kept_in_history_r18(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    db.session.commit()
    client.patch(
        f"/api/pathways/{pathway.id}",
        json={"planned_exit_date": "2026-08-28", "reason": "Prolongation"},
        headers=headers,
    )
    history = client.get(f"/api/pathways/{pathway.id}/history", headers=headers).get_json()
    assert [event["kind"] for event in history] == ["created", "dates_moved"]
    assert history[1]["changes"]["planned_exit_date"] == {"from": "2026-07-03", "to": "2026-08-28"}
    assert history[1]["reason"] == "Prolongation"


def test_pathway_without_hours_is_deleted_r9(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    db.session.commit()
    response = client.delete(f"/api/pathways/{pathway.id}", headers=headers)
    assert response.status_code == 204
    assert count(Pathway) == 0
    assert (
        client.get(f"/api/purchase-orders/{order.id}", headers=headers).get_json()["opening_date"]
        is None
    )


def test_pathway_with_a_declared_hour_cannot_be_deleted_but_abandoned_r9(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    gen_emargement(gen_slot(composante), trainee)
    db.session.commit()
    response = client.delete(f"/api/pathways/{pathway.id}", headers=headers)
    body = assert_error(response, 422, "R9_HOURS_DECLARED")
    assert "abandon" in body["message"]
    assert count(Pathway) == 1
    response = client.delete(f"/api/trainees/{trainee.id}", headers=headers)
    assert_error(response, 422, "R9_HOURS_DECLARED")
    assert count(Trainee) == 1 and count(Pathway) == 1

    response = client.post(
        f"/api/pathways/{pathway.id}/abandon",
        json={"exit_date": "2026-04-10", "reason": "A trouvé un emploi"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "abandon"
    assert response.get_json()["effective_exit_date"] == "2026-04-10"


def test_abandon_without_any_hour_is_refused_r9(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    db.session.commit()
    response = client.post(
        f"/api/pathways/{pathway.id}/abandon",
        json={"exit_date": "2026-04-10", "reason": "Parti"},
        headers=headers,
    )
    assert_error(response, 422, "R9_NO_HOURS_FOR_ABANDON")
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).status == "planned"


def test_prescribed_hours_beyond_the_contracted_volume_are_refused_r10(client, setting):
    org, headers, order, composante, trainee = setting
    others = [gen_trainee(org) for _ in range(3)]
    db.session.commit()
    for other in others[:2]:  # 2 x 150 h of 400 h
        assert (
            client.post(
                "/api/pathways",
                json=_pathway(
                    other, composante, prescribed_centre_hours=150, prescribed_company_hours=0
                ),
                headers=headers,
            ).status_code
            == 201
        )
    response = client.post(
        "/api/pathways",
        json=_pathway(
            others[2], composante, prescribed_centre_hours=101, prescribed_company_hours=0
        ),
        headers=headers,
    )
    body = assert_error(response, 422, "R10_CONTRACTED_VOLUME_EXCEEDED")
    assert "volume saisi est supérieur au volume contractualisé" in body["message"]
    assert count(Pathway) == 2
    response = client.post(
        "/api/pathways",
        json=_pathway(
            others[2], composante, prescribed_centre_hours=100, prescribed_company_hours=0
        ),
        headers=headers,
    )
    assert response.status_code == 201


def test_unused_hours_of_another_composante_cover_the_excess_r10_fungibility(client, setting):
    org, headers, order, composante, trainee = setting
    small = gen_composante(order, contracted_centre_minutes=100 * 60, contracted_company_minutes=0)
    others = [gen_trainee(org) for _ in range(2)]
    db.session.commit()
    # 180 h on a 100 h composante: the BDC holds 500 h, 0 used elsewhere.
    response = client.post(
        "/api/pathways",
        json=_pathway(others[0], small, prescribed_centre_hours=180, prescribed_company_hours=0),
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    # The other composante can now use only 500 - 180 = 320 h.
    response = client.post(
        "/api/pathways",
        json=_pathway(
            others[1], composante, prescribed_centre_hours=190, prescribed_company_hours=0
        ),
        headers=headers,
    )
    assert response.status_code == 201
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, prescribed_centre_hours=131, prescribed_company_hours=0),
        headers=headers,
    )
    assert_error(response, 422, "R10_CONTRACTED_VOLUME_EXCEEDED")
    assert count(Pathway) == 2


def test_lowering_a_contracted_volume_below_prescriptions_is_refused_r10(client, setting):
    org, headers, order, composante, trainee = setting
    gen_pathway(trainee, composante)
    db.session.commit()
    response = client.patch(
        f"/api/composantes/{composante.id}", json={"contracted_centre_hours": 100}, headers=headers
    )
    assert_error(response, 422, "R10_CONTRACTED_VOLUME_EXCEEDED")
    db.session.expire_all()
    assert db.session.get(Composante, composante.id).contracted_centre_minutes == 400 * 60


def test_trainee_with_aah_must_be_boe_r15(client, setting):
    org, headers, *_ = setting
    body = {"last_name": "Durand", "first_name": "Alix", "boe": False, "aah": True}
    response = client.post("/api/trainees", json=body, headers=headers)
    error = assert_error(response, 422, "R15_BOE_AAH_INCONSISTENT")
    assert "AAH" in error["message"]
    assert count(Trainee) == 1  # the fixture's trainee only
    body["boe"] = True
    assert client.post("/api/trainees", json=body, headers=headers).status_code == 201


def test_unsetting_boe_of_an_aah_trainee_is_refused_r15(client, setting):
    org, headers, *_ = setting
    trainee = gen_trainee(org, boe=True, aah=True)
    db.session.commit()
    response = client.patch(f"/api/trainees/{trainee.id}", json={"boe": False}, headers=headers)
    assert_error(response, 422, "R15_BOE_AAH_INCONSISTENT")
    db.session.expire_all()
    assert db.session.get(Trainee, trainee.id).boe is True


def test_validation_errors_are_french_and_name_the_fields(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways", json={"trainee_id": "x", "entry_date": "32/13/2026"}, headers=headers
    )
    body = assert_error(response, 422, "VALIDATION_ERROR")
    fields = body["details"]["fields"]
    assert fields["trainee_id"] == ["Nombre entier attendu."]
    assert fields["entry_date"] == ["Date attendue au format AAAA-MM-JJ."]
    assert fields["composante_id"] == ["Champ obligatoire."]
    assert count(Pathway) == 0


def test_duplicate_pathway_is_a_conflict(client, setting):
    org, headers, order, composante, trainee = setting
    gen_pathway(trainee, composante)
    db.session.commit()
    response = client.post("/api/pathways", json=_pathway(trainee, composante), headers=headers)
    assert_error(response, 409, "PATHWAY_EXISTS")


def test_entry_date_before_the_bdc_start_is_refused(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, entry_date="2026-01-02"),
        headers=headers,
    )
    assert_error(response, 422, "ENTRY_OUTSIDE_BDC")
    assert order.planned_start == date(2026, 1, 5)


def test_planned_exit_after_the_bdc_end_is_refused_on_create_r6(client, setting):
    org, headers, order, composante, trainee = setting
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, planned_exit_date="2027-07-01"),
        headers=headers,
    )
    body = assert_error(response, 422, "EXIT_AFTER_BDC_END")
    assert "01/07/2027" in body["message"] and "30/06/2027" in body["message"]
    assert count(Pathway) == 0 and count(PathwayEvent) == 0
    response = client.post(
        "/api/pathways",
        json=_pathway(trainee, composante, planned_exit_date="2027-06-30"),
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()


def test_extending_a_pathway_beyond_the_bdc_end_is_refused_r6(client, setting):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante)
    db.session.commit()
    response = client.patch(
        f"/api/pathways/{pathway.id}",
        json={"planned_exit_date": "2027-07-15", "reason": "Prolongation"},
        headers=headers,
    )
    body = assert_error(response, 422, "EXIT_AFTER_BDC_END")
    assert "15/07/2027" in body["message"]
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).planned_exit_date == date(2026, 7, 3)
    assert count(PathwayEvent) == 1  # only "created"


def test_a_departed_trainee_s_prescribed_hours_come_down_to_the_realised_ones_faq55(
    client, setting
):
    org, headers, order, composante, trainee = setting
    pathway = gen_pathway(trainee, composante, prescribed_company_minutes=35 * 60)
    gen_pathway(gen_trainee(org), composante, prescribed_company_minutes=0)
    latecomer = gen_trainee(org)
    gen_emargement(gen_slot(composante), trainee, late_minutes=15)  # 210 - 15 = 195 min
    company = gen_slot(
        composante, kind="company", trainee_id=trainee.id, company_name="Garage Dupont"
    )  # 210 min
    gen_emargement(company, trainee)
    db.session.commit()
    url = f"/api/pathways/{pathway.id}/align-prescribed"
    # Still in training: the remedy is for trainees who left.
    assert_error(client.post(url, headers=headers), 422, "PATHWAY_NOT_LEFT")
    # 150 h + 150 h prescribed of 400 h: 101 h more do not fit (R10).
    late = _pathway(latecomer, composante, prescribed_centre_hours=101, prescribed_company_hours=0)
    assert_error(
        client.post("/api/pathways", json=late, headers=headers),
        422,
        "R10_CONTRACTED_VOLUME_EXCEEDED",
    )
    client.post(
        f"/api/pathways/{pathway.id}/abandon",
        json={"exit_date": "2026-03-20", "reason": "A trouvé un emploi"},
        headers=headers,
    )

    response = client.post(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["prescribed_centre_hours"] == 3.25
    db.session.expire_all()
    stored = db.session.get(Pathway, pathway.id)
    assert (stored.prescribed_centre_minutes, stored.prescribed_company_minutes) == (195, 210)
    history = client.get(f"/api/pathways/{pathway.id}/history", headers=headers).get_json()
    assert history[-1]["kind"] == "prescribed_aligned"
    assert history[-1]["changes"] == {
        "prescribed_centre_minutes": {"from": 150 * 60, "to": 195},
        "prescribed_company_minutes": {"from": 35 * 60, "to": 210},
    }
    # The freed hours take the latecomer: 150 h + 3,25 h + 101 h ≤ 400 h.
    response = client.post("/api/pathways", json=late, headers=headers)
    assert response.status_code == 201, response.get_json()
    # Nothing left to align: no new history line.
    assert client.post(url, headers=headers).status_code == 200
    again = client.get(f"/api/pathways/{pathway.id}/history", headers=headers).get_json()
    assert again == history
