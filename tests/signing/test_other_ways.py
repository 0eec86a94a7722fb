"""Kiosk (PIN or QR card), distance links valid only while the class runs, autoformation
declared then confirmed by the trainer, and company days confirmed by the tutor."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Emargement, KioskCredential
from attendance.signing import kiosk
from attendance.signing.signins import issue_slot_link
from tests.factories import gen_slot, make_room, signature_data_url, token_for


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Emargement))


def _start_kiosk(client, room):
    token = kiosk.start_kiosk(db.session, room.slot)
    db.session.commit()
    client.set_cookie(kiosk.KIOSK_COOKIE, token)


def _kiosk_sign(client, **body):
    return client.post("/api/signins/kiosk", json={"signature": signature_data_url(), **body})


def test_kiosk_signs_with_name_and_pin(client, room):
    kiosk.set_pin(db.session, room.org, room.trainee, "4821")
    db.session.commit()
    _start_kiosk(client, room)
    response = _kiosk_sign(client, trainee_id=room.trainee.id, pin="4821")
    assert response.status_code == 201, response.get_json()
    e = db.session.scalars(select(Emargement)).one()
    assert (e.method, e.trainee_id, e.evidence["kiosk_proof"]) == ("kiosk", room.trainee.id, "pin")


def test_kiosk_without_kiosk_mode_is_refused(client, room):
    response = _kiosk_sign(client, trainee_id=room.trainee.id, pin="4821")
    assert response.get_json()["code"] == "KIOSK_NOT_STARTED" and _count() == 0


def test_wrong_pins_are_counted_in_the_database_and_lock(client, room):
    kiosk.set_pin(db.session, room.org, room.trainee, "4821")
    db.session.commit()
    _start_kiosk(client, room)
    codes = [
        _kiosk_sign(client, trainee_id=room.trainee.id, pin="0000").get_json()["code"]
        for _ in range(kiosk.MAX_PIN_FAILURES)
    ]
    assert codes == ["KIOSK_PIN_INVALID"] * kiosk.MAX_PIN_FAILURES
    locked = _kiosk_sign(client, trainee_id=room.trainee.id, pin="4821")
    assert (locked.status_code, locked.get_json()["code"]) == (429, "KIOSK_PIN_LOCKED")
    db.session.rollback()
    assert db.session.scalars(select(KioskCredential)).one().locked_until is not None
    assert _count() == 0


def test_kiosk_signs_with_the_personal_qr_card_and_a_replaced_card_fails(client, room):
    old_card = kiosk.issue_card(db.session, room.org, room.trainee)
    new_card = kiosk.issue_card(db.session, room.org, room.trainee)
    db.session.commit()
    _start_kiosk(client, room)
    refused = _kiosk_sign(client, card=old_card)
    assert refused.get_json()["code"] == "KIOSK_CARD_INVALID" and _count() == 0
    assert _kiosk_sign(client, card=new_card).status_code == 201
    assert db.session.scalars(select(Emargement)).one().evidence["kiosk_proof"] == "card"


def test_kiosk_refuses_a_trainee_of_another_slot(client, room):
    other = make_room()
    kiosk.set_pin(db.session, other.org, other.trainee, "1111")
    db.session.commit()
    _start_kiosk(client, room)
    response = _kiosk_sign(client, trainee_id=other.trainee.id, pin="1111")
    assert response.status_code == 404 and _count() == 0


def _link_sign(client, token, **body):
    return client.post(
        "/api/signins/link", json={"token": token, "signature": signature_data_url(), **body}
    )


def test_distance_link_records_join_time_and_connection(client, app):
    room = make_room(
        kind="distance",
        online_url="https://visio.example.org/salle",
        starts_at=datetime.now(UTC) - timedelta(minutes=25),
    )
    token = issue_slot_link(db.session, room.slot, room.trainee)
    db.session.commit()
    response = _link_sign(client, token)
    assert response.status_code == 201, response.get_json()
    e = db.session.scalars(select(Emargement)).one()
    assert e.method == "link" and e.late_minutes == 25 and e.ip_address == "127.0.0.1"
    assert e.evidence["joined_at"] and e.evidence["online_url"].startswith("https://visio")


def test_distance_link_outside_the_live_class_is_refused(client, app):
    future = make_room(kind="distance", starts_at=datetime.now(UTC) + timedelta(hours=2))
    token = issue_slot_link(db.session, future.slot, future.trainee)
    db.session.commit()
    early = _link_sign(client, token).get_json()
    assert (early["code"], early["details"]["too"]) == ("OUTSIDE_SLOT_WINDOW", "early")
    past = make_room(kind="distance", starts_at=datetime.now(UTC) - timedelta(hours=5))
    token = issue_slot_link(db.session, past.slot, past.trainee)
    db.session.commit()
    late = _link_sign(client, token).get_json()
    assert (late["code"], late["details"]["too"]) == ("OUTSIDE_SLOT_WINDOW", "late")
    assert _count() == 0


def test_autoformation_is_declared_then_counts_only_once_confirmed(client, app):
    room = make_room(kind="autoformation", objective="Module tableur : formules")
    token = issue_slot_link(db.session, room.slot, room.trainee)
    db.session.commit()
    assert _link_sign(client, token).get_json()["code"] == "DECLARATION_REQUIRED"
    response = _link_sign(client, token, declaration="Exercices 1 à 4 sur les formules")
    assert response.status_code == 201 and response.get_json()["confirmed"] is False
    headers = token_for(room.trainer)
    lines = client.get(f"/api/slots/{room.slot.id}/roster", headers=headers).get_json()["lines"]
    assert {line["trainee_id"]: line["state"] for line in lines}[room.trainee.id] == "to_confirm"
    confirmed = client.patch(
        f"/api/slots/{room.slot.id}/roster/{room.trainee.id}",
        headers=headers,
        json={"confirmed": True},
    )
    assert confirmed.status_code == 200
    assert db.session.scalars(select(Emargement)).one().confirmed is True


def test_tutor_confirms_company_days_one_by_one(client, app):
    room = make_room(n_trainees=1)
    now = datetime.now(UTC)
    days = [
        gen_slot(
            room.composante,
            starts_at=now - timedelta(days=d, hours=1),
            minutes=420,
            kind="company",
            trainee_id=room.trainee.id,
            company_name="Garage Martin",
        )
        for d in (2, 1)
    ]
    later = gen_slot(
        room.composante,
        starts_at=now + timedelta(days=1),
        minutes=420,
        kind="company",
        trainee_id=room.trainee.id,
        company_name="Garage Martin",
    )
    db.session.commit()
    admin = token_for(room.admin)
    link = client.post(
        f"/api/trainees/{room.trainee.id}/tutor-links",
        headers=admin,
        json={"tutor_name": "Mme Martin", "tutor_email": "martin@example.org"},
    )
    assert link.status_code == 201
    token = link.get_json()["url"].rsplit("/", 1)[1]
    page = client.get(f"/t/{token}").get_data(as_text=True)
    assert "Mme Martin" in page and page.count("data-day=") == 4  # two days × two buttons

    def confirm(slot, present=True):
        return client.post(
            "/api/signins/tutor",
            json={
                "token": token,
                "slot_id": slot.id,
                "present": present,
                "signature": signature_data_url(),
            },
        )

    assert confirm(days[0]).status_code == 201
    assert confirm(days[1], present=False).get_json()["status"] == "absent"
    assert confirm(days[0]).get_json()["code"] == "ALREADY_SIGNED"
    assert confirm(later).get_json()["code"] == "DAY_NOT_STARTED"
    assert confirm(room.slot).status_code == 404  # not one of this trainee's company days
    records = db.session.scalars(select(Emargement).order_by(Emargement.id)).all()
    assert [(e.method, e.status) for e in records] == [("tutor", "present"), ("tutor", "absent")]
    assert records[0].evidence["tutor_name"] == "Mme Martin"
