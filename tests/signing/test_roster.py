"""The trainer's roster through the API: marks, validation lock, corrections with reasons,
fraud signals, and tenant isolation on every staff endpoint."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import Emargement, EmargementRevision, Slot
from attendance.signing.common import Client
from attendance.signing.signins import (
    issue_slot_link,
    issue_slot_qr,
    sign_with_link,
    sign_with_phone,
)
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    gen_emargement,
    gen_user,
    make_room,
    signature_data_url,
    token_for,
)


def _phone_sign(room, trainee, credential=None, now=None):
    credential = credential or bind_phone(trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    db.session.commit()
    client = Client(ip="10.0.0.7", user_agent="phone")
    if now:
        client.now = now
    return sign_with_phone(
        db.session, room.slot.id, token, signature_data_url(), credential, client
    )


def _lines(client, room, headers):
    response = client.get(f"/api/slots/{room.slot.id}/roster", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {line["trainee_id"]: line for line in response.get_json()["lines"]}


def test_roster_shows_who_signed_and_who_did_not(client, room, trainer_headers):
    _phone_sign(room, room.trainee)
    lines = _lines(client, room, trainer_headers)
    assert lines[room.trainee.id]["state"] == "signed"
    assert lines[room.trainee.id]["emargement"]["has_signature"] is True
    assert {lines[t.id]["state"] for t in room.trainees[1:]} == {"unsigned"}


def test_trainer_marks_late_and_early_and_absent_with_history(client, room, trainer_headers):
    _phone_sign(room, room.trainee)
    url = f"/api/slots/{room.slot.id}/roster"
    response = client.patch(
        f"{url}/{room.trainee.id}",
        headers=trainer_headers,
        json={"late_minutes": 20, "early_leave_minutes": 30},
    )
    assert response.status_code == 200, response.get_json()
    response = client.patch(
        f"{url}/{room.trainees[1].id}",
        headers=trainer_headers,
        json={"status": "absent", "absence_reason": "malade"},
    )
    lines = {line["trainee_id"]: line for line in response.get_json()["lines"]}
    assert lines[room.trainee.id]["emargement"]["late_minutes"] == 20
    assert lines[room.trainee.id]["emargement"]["early_leave_minutes"] == 30
    assert lines[room.trainees[1].id]["state"] == "absent"
    revisions = db.session.scalars(select(EmargementRevision)).all()
    assert len(revisions) == 2 and revisions[0].before["late_minutes"] == 0
    assert revisions[0].after["late_minutes"] == 20


def test_minutes_beyond_the_slot_are_refused(client, room, trainer_headers):
    _phone_sign(room, room.trainee)
    response = client.patch(
        f"/api/slots/{room.slot.id}/roster/{room.trainee.id}",
        headers=trainer_headers,
        json={"late_minutes": 300},
    )
    assert response.get_json()["code"] == "MINUTES_OUT_OF_RANGE"
    assert db.session.scalars(select(Emargement)).one().late_minutes == 0


def test_validation_records_absentees_and_locks_the_slot(client, room, trainer_headers):
    _phone_sign(room, room.trainee)
    url = f"/api/slots/{room.slot.id}"
    assert (
        client.post(
            f"{url}/validation", headers=trainer_headers, json={"signature": "nope"}
        ).get_json()["code"]
        == "SIGNATURE_NOT_PNG"
    )
    response = client.post(
        f"{url}/validation", headers=trainer_headers, json={"signature": signature_data_url()}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["validated_at"] is not None
    states = {line["trainee_id"]: line["state"] for line in body["lines"]}
    assert states == {
        room.trainee.id: "signed",
        room.trainees[1].id: "absent",
        room.trainees[2].id: "absent",
    }
    assert db.session.get(Slot, room.slot.id).trainer_signature_png
    locked = client.patch(
        f"{url}/roster/{room.trainee.id}", headers=trainer_headers, json={"late_minutes": 5}
    )
    assert (locked.status_code, locked.get_json()["code"]) == (409, "SLOT_VALIDATED")
    again = client.post(
        f"{url}/validation", headers=trainer_headers, json={"signature": signature_data_url()}
    )
    assert again.get_json()["code"] == "SLOT_VALIDATED"


def test_after_validation_only_a_correction_with_a_reason_changes_a_record(
    client, room, trainer_headers
):
    _phone_sign(room, room.trainee)
    url = f"/api/slots/{room.slot.id}"
    client.post(
        f"{url}/validation", headers=trainer_headers, json={"signature": signature_data_url()}
    )
    no_reason = client.post(
        f"{url}/corrections",
        headers=trainer_headers,
        json={"trainee_id": room.trainees[1].id, "status": "present", "reason": "  "},
    )
    assert no_reason.get_json()["code"] == "CORRECTION_REASON_REQUIRED"
    response = client.post(
        f"{url}/corrections",
        headers=trainer_headers,
        json={
            "trainee_id": room.trainees[1].id,
            "status": "present",
            "late_minutes": 15,
            "reason": "Feuille papier : batterie vide",
        },
    )
    assert response.status_code == 201, response.get_json()
    e = db.session.scalar(select(Emargement).where(Emargement.trainee_id == room.trainees[1].id))
    assert (e.status, e.late_minutes, e.evidence["corrected"]) == ("present", 15, True)
    revision = db.session.scalars(select(EmargementRevision)).one()
    assert revision.is_correction and revision.reason == "Feuille papier : batterie vide"
    assert revision.before["status"] == "absent" and revision.after["status"] == "present"


def test_correction_before_validation_is_refused(client, room, trainer_headers):
    response = client.post(
        f"/api/slots/{room.slot.id}/corrections",
        headers=trainer_headers,
        json={"trainee_id": room.trainee.id, "status": "absent", "reason": "Erreur de saisie"},
    )
    assert response.get_json()["code"] == "SLOT_NOT_VALIDATED"


def test_fraud_signals_shared_phone_outside_window_and_foreign_device(
    client, room, trainer_headers
):
    first = bind_phone(room.trainees[0])
    _phone_sign(room, room.trainees[0], first)
    # The same browser opens the second trainee's invitation and signs for them too.
    _phone_sign(room, room.trainees[1], bind_phone(room.trainees[1], current=first))
    # A sign-in far after the end of the slot, stored before sign-ins were held to the
    # slot's window (the server now refuses it: tests/signing/test_window.py).
    gen_emargement(
        room.slot, room.trainees[2], method="qr", signed_at=room.slot.ends_at + timedelta(hours=3)
    )
    db.session.commit()
    lines = _lines(client, room, trainer_headers)
    assert lines[room.trainees[0].id]["signals"] == ["shared_phone"]
    assert lines[room.trainees[1].id]["signals"] == ["shared_phone"]
    assert lines[room.trainees[2].id]["signals"] == ["outside_window"]


def test_distance_link_opened_on_another_trainees_phone_is_flagged(client, app):
    room = make_room(kind="distance", online_url="https://visio.example.org/salle")
    headers = token_for(room.trainer)
    neighbour_phone = bind_phone(room.trainees[1])
    token = issue_slot_link(db.session, room.slot, room.trainee)
    db.session.commit()
    sign_with_link(db.session, token, signature_data_url(), Client(ip="1.2.3.4"), neighbour_phone)
    lines = _lines(client, room, headers)
    assert lines[room.trainee.id]["signals"] == ["foreign_device"]


def test_trainer_of_another_slot_and_other_organisation_get_404(client, room):
    other_trainer = gen_user(room.org, "trainer")
    elsewhere = make_room()
    headers_other_trainer = token_for(other_trainer)
    headers_elsewhere = token_for(elsewhere.admin)
    trainee_id = room.trainee.id
    calls = [
        ("get", f"/api/slots/{room.slot.id}/qr", None),
        ("get", f"/api/slots/{room.slot.id}/roster", None),
        ("patch", f"/api/slots/{room.slot.id}/roster/{trainee_id}", {"late_minutes": 5}),
        ("post", f"/api/slots/{room.slot.id}/validation", {"signature": signature_data_url()}),
        (
            "post",
            f"/api/slots/{room.slot.id}/corrections",
            {"trainee_id": trainee_id, "status": "absent", "reason": "motif valable"},
        ),
        ("get", f"/api/slots/{room.slot.id}/links", None),
        ("post", f"/api/trainees/{trainee_id}/invitations", None),
        ("delete", f"/api/trainees/{trainee_id}/devices", None),
        ("put", f"/api/trainees/{trainee_id}/kiosk-pin", {"pin": "1234"}),
        ("post", f"/api/trainees/{trainee_id}/kiosk-card", None),
        ("post", f"/api/trainees/{trainee_id}/tutor-links", {"tutor_name": "M. Tuteur"}),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, headers=headers_elsewhere, json=body)
        assert (response.status_code, response.get_json()["code"]) == (404, "NOT_FOUND"), url
    for method, url, body in calls[:6]:
        response = getattr(client, method)(url, headers=headers_other_trainer, json=body)
        assert response.status_code == 404, url
    assert db.session.scalars(select(Emargement)).all() == []


def test_qr_endpoint_gives_a_url_that_opens_the_sign_in_page(client, room, trainer_headers):
    body = client.get(f"/api/slots/{room.slot.id}/qr", headers=trainer_headers).get_json()
    assert body["url"].startswith("http://localhost/q/")
    assert body["svg"].startswith("<svg") and body["rotation_seconds"] == 15
    client.set_cookie("attendance_device", bind_phone(room.trainee))
    page = client.get(body["url"], follow_redirects=True)
    assert page.status_code == 200 and "Je signe ma présence" in page.get_data(as_text=True)


def test_unrelated_staff_cannot_invite_without_trainee_write(client, room):
    trainer_headers = token_for(room.trainer)
    response = client.post(f"/api/trainees/{room.trainee.id}/invitations", headers=trainer_headers)
    assert response.status_code == 403


@pytest.fixture
def auditor_headers(room):
    return token_for(gen_user(room.org, "auditor"))


def test_auditor_reads_the_roster_but_cannot_validate(client, room, auditor_headers):
    assert (
        client.get(f"/api/slots/{room.slot.id}/roster", headers=auditor_headers).status_code == 200
    )
    response = client.post(
        f"/api/slots/{room.slot.id}/validation",
        headers=auditor_headers,
        json={"signature": signature_data_url()},
    )
    assert response.status_code == 404


LABEL = "Présence saisie par le formateur — correction"


def test_a_presence_the_trainer_entered_is_labelled_a_correction(client, room, trainer_headers):
    _phone_sign(room, room.trainee)
    url = f"/api/slots/{room.slot.id}/roster"
    client.patch(
        f"{url}/{room.trainees[1].id}", headers=trainer_headers, json={"status": "present"}
    )
    client.patch(f"{url}/{room.trainees[2].id}", headers=trainer_headers, json={"status": "absent"})
    lines = _lines(client, room, trainer_headers)
    assert lines[room.trainees[1].id]["correction_label"] == LABEL
    assert lines[room.trainees[1].id]["emargement"]["method"] == "trainer"
    assert lines[room.trainee.id]["correction_label"] is None  # signed on the phone
    assert lines[room.trainees[2].id]["correction_label"] is None  # absent: no hours
    assert (
        client.post(
            "/login", data=csrf_form(client, {"email": room.trainer.email, "password": PASSWORD})
        ).status_code
        == 302
    )
    page = client.get(f"/seances/{room.slot.id}").get_data(as_text=True)
    assert page.count(LABEL) == 1


def test_a_correction_after_validation_takes_over_the_trainees_sign_in(
    client, room, trainer_headers
):
    _phone_sign(room, room.trainee)
    url = f"/api/slots/{room.slot.id}"
    client.post(
        f"{url}/validation", headers=trainer_headers, json={"signature": signature_data_url()}
    )
    response = client.post(
        f"{url}/corrections",
        headers=trainer_headers,
        json={"trainee_id": room.trainee.id, "late_minutes": 20, "reason": "Arrivé en retard"},
    )
    assert response.status_code == 201, response.get_json()
    lines = {line["trainee_id"]: line for line in response.get_json()["lines"]}
    assert lines[room.trainee.id]["correction_label"] == LABEL
    e = db.session.scalar(select(Emargement).where(Emargement.trainee_id == room.trainee.id))
    assert (e.method, e.evidence["signed_method"], e.late_minutes) == ("correction", "qr", 20)
    revision = db.session.scalars(select(EmargementRevision)).one()
    assert (revision.before["method"], revision.after["method"]) == ("qr", "correction")
