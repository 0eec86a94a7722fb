"""A validated month refuses every write that would change it (R11), one test per path: each
fails if its path's check is removed."""

import io
from datetime import UTC, datetime

import pytest

from attendance.extensions import db
from attendance.models import Correction, MonthPeriod, Pathway, Slot
from tests.api.helpers import assert_error, count
from tests.factories import gen_pathway, gen_trainee, month_setting

URL = "/api/purchase-orders/{}/months/2026-03"


@pytest.fixture
def locked(client, app):
    setting = month_setting()
    url = URL.format(setting.order.id)
    assert client.post(url + "/sync", headers=setting.billing).status_code == 201
    assert client.post(url + "/validate", headers=setting.billing).status_code == 200
    return setting


def _slot_body(setting, day="2026-03-10"):
    return {
        "composante_id": setting.composante.id,
        "kind": "centre",
        "starts_at": f"{day}T09:00:00+01:00",
        "ends_at": f"{day}T12:30:00+01:00",
    }


def test_creating_a_slot_in_a_validated_month_is_refused(client, locked):
    before = count(Slot)
    response = client.post("/api/slots", json=_slot_body(locked), headers=locked.billing)
    body = assert_error(response, 409, "MONTH_VALIDATED")
    assert "rouvrir" in body["message"]
    assert count(Slot) == before
    # The next month is open.
    ok = client.post("/api/slots", json=_slot_body(locked, "2026-04-07"), headers=locked.billing)
    assert ok.status_code == 201


def test_moving_a_slot_of_a_validated_month_is_refused(client, locked):
    slot = locked.slots[0]
    slot.validated_at = None  # an unvalidated slot: only the month lock stands in the way
    db.session.commit()
    response = client.patch(
        f"/api/slots/{slot.id}", json={"title": "Changé"}, headers=locked.billing
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).title == ""


def test_moving_a_slot_into_a_validated_month_is_refused(client, locked):
    april = client.post(
        "/api/slots", json=_slot_body(locked, "2026-04-07"), headers=locked.billing
    ).get_json()
    response = client.patch(
        f"/api/slots/{april['id']}",
        json={"starts_at": "2026-03-31T09:00:00+02:00", "ends_at": "2026-03-31T12:00:00+02:00"},
        headers=locked.billing,
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    db.session.expire_all()
    assert db.session.get(Slot, april["id"]).starts_at == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)


def test_deleting_a_slot_of_a_validated_month_is_refused(client, locked):
    empty = Slot(
        organisation_id=locked.org.id,
        composante_id=locked.composante.id,
        kind="centre",
        starts_at=datetime(2026, 3, 20, 8, tzinfo=UTC),
        ends_at=datetime(2026, 3, 20, 11, tzinfo=UTC),
    )
    db.session.add(empty)
    db.session.commit()
    assert_error(
        client.delete(f"/api/slots/{empty.id}", headers=locked.billing), 409, "MONTH_VALIDATED"
    )
    assert db.session.get(Slot, empty.id) is not None


def test_entering_a_pathway_in_a_validated_month_is_refused(client, locked):
    trainee = gen_trainee(locked.org)
    db.session.commit()
    response = client.post(
        "/api/pathways",
        headers=locked.billing,
        json={
            "trainee_id": trainee.id,
            "composante_id": locked.composante.id,
            "entry_date": "2026-03-16",
            "planned_exit_date": "2026-06-30",
            "prescribed_centre_hours": 100,
        },
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    assert count(Pathway) == 2


def test_moving_pathway_dates_out_of_a_validated_month_is_refused(client, locked):
    pathway = db.session.scalars(db.select(Pathway)).first()
    response = client.patch(
        f"/api/pathways/{pathway.id}",
        headers=locked.billing,
        json={"entry_date": "2026-04-01", "reason": "Report"},
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    # A date outside the validated month still moves.
    ok = client.patch(
        f"/api/pathways/{pathway.id}",
        headers=locked.billing,
        json={"planned_exit_date": "2026-07-31"},
    )
    assert ok.status_code == 200


def test_correcting_a_day_of_a_validated_month_is_refused(client, locked):
    response = client.post(
        "/api/corrections",
        headers=locked.billing,
        data={
            "trainee_id": locked.trainees[1].id,
            "composante_id": locked.composante.id,
            "scope": "day",
            "day": "2026-03-03",
            "hour_class": "centre",
            "hours": "3.5",
            "reason": "Feuille papier signée",
            "attachment": (io.BytesIO(b"%PDF-1.4\n% feuille\n"), "feuille.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    assert count(Correction) == 0


def test_correcting_a_company_month_that_is_validated_is_refused(client, locked):
    pdf = b"%PDF-1.4\n% feuille\n"
    response = client.post(
        "/api/corrections",
        headers=locked.billing,
        data={
            "trainee_id": locked.trainees[0].id,
            "composante_id": locked.composante.id,
            "scope": "month",
            "day": "2026-03-01",
            "hour_class": "company",
            "hours": "35",
            "reason": "Feuille du tuteur",
            "attachment": (io.BytesIO(pdf), "feuille.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert_error(response, 409, "MONTH_VALIDATED")
    assert count(Correction) == 0


def test_after_reopening_the_same_write_goes_through(client, locked):
    url = URL.format(locked.order.id)
    client.post(url + "/reopen", json={"reason": "Correction tardive"}, headers=locked.admin)
    response = client.post("/api/slots", json=_slot_body(locked), headers=locked.billing)
    assert response.status_code == 201
    assert db.session.scalars(db.select(MonthPeriod.state)).one() == "synchronised"


def test_other_bdcs_are_not_locked_by_this_month(client, locked):
    from tests.factories import gen_composante, gen_purchase_order

    other = gen_composante(gen_purchase_order(locked.org))
    gen_pathway(gen_trainee(locked.org), other)
    db.session.commit()
    body = _slot_body(locked)
    body["composante_id"] = other.id
    assert client.post("/api/slots", json=body, headers=locked.billing).status_code == 201
