"""R11: once the month is validated, the sign-in paths refuse to change it too (409)."""

import threading

import pytest
from sqlalchemy import func, select, update

from attendance.extensions import db
from attendance.models import Emargement, EmargementRevision, EvidenceEntry, MonthPeriod
from attendance.months.lock import local_day
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signins import issue_slot_qr
from tests.factories import token_for
from tests.signing.helpers import bind_phone, make_room, signature_data_url


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _validate_month(room) -> None:
    db.session.add(
        MonthPeriod(
            organisation_id=room.org.id,
            purchase_order_id=room.composante.purchase_order_id,
            month=local_day(room.slot.starts_at).replace(day=1),
            state="validated",
            version=1,
        )
    )
    db.session.commit()


@pytest.fixture
def locked_room(app):
    room = make_room()
    return room


def test_a_phone_cannot_sign_into_a_validated_month(client, locked_room):
    room = locked_room
    credential = bind_phone(room.trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    _validate_month(room)
    entries = _count(EvidenceEntry)
    client.set_cookie(DEVICE_COOKIE, credential)
    response = client.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": token, "signature": signature_data_url()},
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["code"] == "MONTH_VALIDATED"
    assert _count(Emargement) == 0 and _count(EvidenceEntry) == entries


def test_the_trainer_cannot_mark_or_validate_in_a_validated_month(client, locked_room):
    room = locked_room
    headers = token_for(room.trainer)
    _validate_month(room)
    mark = client.patch(
        f"/api/slots/{room.slot.id}/roster/{room.trainee.id}",
        json={"status": "absent"},
        headers=headers,
    )
    assert mark.status_code == 409 and mark.get_json()["code"] == "MONTH_VALIDATED"
    validation = client.post(
        f"/api/slots/{room.slot.id}/validation",
        json={"signature": signature_data_url()},
        headers=headers,
    )
    assert validation.status_code == 409 and validation.get_json()["code"] == "MONTH_VALIDATED"
    db.session.expire_all()
    assert room.slot.validated_at is None and _count(Emargement) == 0


def test_a_correction_after_slot_validation_is_refused_in_a_validated_month(client, locked_room):
    room = locked_room
    headers = token_for(room.trainer)
    client.post(
        f"/api/slots/{room.slot.id}/validation",
        json={"signature": signature_data_url()},
        headers=headers,
    )
    _validate_month(room)
    response = client.post(
        f"/api/slots/{room.slot.id}/corrections",
        headers=headers,
        json={
            "trainee_id": room.trainee.id,
            "status": "present",
            "reason": "Feuille papier retrouvée",
        },
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["code"] == "MONTH_VALIDATED"
    assert _count(EmargementRevision) == 0


def test_a_signin_racing_a_month_validation_waits_for_it_and_is_refused(app, locked_room):
    """The validation holds its month row (PostgreSQL row lock, SQLite write lock) while it
    freezes the figures; a phone signing meanwhile must wait for it, then see « validé »,
    not slip a record into the month being locked."""
    room = locked_room
    credential = bind_phone(room.trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    month = local_day(room.slot.starts_at).replace(day=1)
    db.session.add(
        MonthPeriod(
            organisation_id=room.org.id,
            purchase_order_id=room.composante.purchase_order_id,
            month=month,
            state="synchronised",
            version=1,
        )
    )
    db.session.commit()
    entries = _count(EvidenceEntry)
    validation = db.engine.connect()
    validation.begin()
    validation.execute(
        update(MonthPeriod).where(MonthPeriod.month == month).values(state="validated")
    )
    answers = []
    signature, slot_id = signature_data_url(), room.slot.id

    def phone():
        client = app.test_client()
        client.set_cookie(DEVICE_COOKIE, credential)
        response = client.post(
            "/api/signins",
            json={"slot_id": slot_id, "token": token, "signature": signature},
        )
        answers.append((response.status_code, response.get_json()["code"]))

    signing = threading.Thread(target=phone)
    signing.start()
    signing.join(timeout=1.5)
    try:
        assert signing.is_alive(), f"the sign-in did not wait for the validation: {answers}"
    finally:
        validation.commit()
        validation.close()
        signing.join(timeout=30)
    assert answers == [(409, "MONTH_VALIDATED")]
    assert _count(Emargement) == 0 and _count(EvidenceEntry) == entries
