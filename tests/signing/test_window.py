"""Sign-ins only inside the slot's window (DOMAIN « What controllers reject »): from
``SIGNIN_OPENING_MINUTES`` before the start until the end in the room and for distance
links, days after for autoformation. Outside it nothing is stored; the trainer's marks and
corrections stay open, they are the way to record what happened outside."""

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from attendance.clock import local_time
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry, KioskCredential
from attendance.signing import kiosk
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signins import issue_slot_link, issue_slot_qr
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    gen_slot_code,
    make_room,
    signature_data_url,
    token_for,
)

SLOT_MINUTES = 210  # gen_slot's default length


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _phone_sign(client, room, credential):
    client.set_cookie(DEVICE_COOKIE, credential)
    return client.post(
        "/api/signins",
        json={
            "slot_id": room.slot.id,
            "token": gen_slot_code(room.slot),
            "signature": signature_data_url(),
        },
    )


def _link_sign(client, token, **body):
    return client.post(
        "/api/signins/link", json={"token": token, "signature": signature_data_url(), **body}
    )


def _refused_outside(send, too: str, stored: int = 0) -> dict:
    """``send()`` is refused for the time (``too``: early or late); nothing more is stored,
    neither an emargement nor an evidence entry."""
    entries = _count(EvidenceEntry)
    response = send()
    body = response.get_json()
    assert (response.status_code, body["code"]) == (409, "OUTSIDE_SLOT_WINDOW"), body
    assert body["details"]["too"] == too
    assert (_count(Emargement), _count(EvidenceEntry)) == (stored, entries)
    return body


def test_a_slot_ten_days_ahead_cannot_be_signed_from_a_phone(client, app):
    room = make_room(starts_at=_now() + timedelta(days=10))
    phone = bind_phone(room.trainee)
    body = _refused_outside(lambda: _phone_sign(client, room, phone), "early")
    assert "trop tôt" in body["message"] and "correction" in body["message"]
    opens = local_time(room.slot.starts_at - timedelta(minutes=30))
    assert f"du {opens:%d/%m} à {opens:%Hh%M}" in body["message"]


def test_31_minutes_before_the_start_is_refused_and_nothing_is_stored(client, app):
    room = make_room(starts_at=_now() + timedelta(minutes=31))
    phone = bind_phone(room.trainee)
    _refused_outside(lambda: _phone_sign(client, room, phone), "early")


def test_30_minutes_before_the_start_is_accepted_on_time(client, app):
    room = make_room(starts_at=_now() + timedelta(minutes=30))
    response = _phone_sign(client, room, bind_phone(room.trainee))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["late_minutes"] == 0
    assert _count(Emargement) == 1


def test_the_opening_follows_the_configured_minutes(client, app):
    app.config["SIGNIN_OPENING_MINUTES"] = 10
    room = make_room(starts_at=_now() + timedelta(minutes=15))
    phone = bind_phone(room.trainee)
    _refused_outside(lambda: _phone_sign(client, room, phone), "early")


def test_after_the_end_a_slot_that_was_never_validated_is_refused(client, app):
    room = make_room(starts_at=_now() - timedelta(minutes=SLOT_MINUTES + 1))
    phone = bind_phone(room.trainee)
    body = _refused_outside(lambda: _phone_sign(client, room, phone), "late")
    assert "trop tard" in body["message"]


def test_the_phone_page_of_a_code_outside_the_window_says_when(client, app):
    room = make_room(starts_at=_now() + timedelta(days=10))
    client.set_cookie(DEVICE_COOKIE, bind_phone(room.trainee))
    page = client.get(f"/e/{room.slot.id}", query_string={"t": gen_slot_code(room.slot)})
    assert page.status_code == 409
    assert "trop tôt" in page.get_data(as_text=True)


def test_kiosk_refuses_a_sign_in_after_the_end_and_counts_no_pin_failure(client, app):
    room = make_room(starts_at=_now() - timedelta(minutes=SLOT_MINUTES + 1))
    kiosk.set_pin(db.session, room.org, room.trainee, "4821")
    token = kiosk.start_kiosk(db.session, room.slot)
    db.session.commit()
    client.set_cookie(kiosk.KIOSK_COOKIE, token)

    def sign(pin):
        body = {"trainee_id": room.trainee.id, "pin": pin, "signature": signature_data_url()}
        return lambda: client.post("/api/signins/kiosk", json=body)

    _refused_outside(sign("4821"), "late")
    _refused_outside(sign("0000"), "late")  # the time is checked first: no PIN failure
    db.session.rollback()
    assert db.session.scalars(select(KioskCredential)).one().failed_attempts == 0


def test_distance_link_opens_with_the_room_and_closes_at_the_end(client, app):
    soon = make_room(kind="distance", starts_at=_now() + timedelta(minutes=31))
    token = issue_slot_link(db.session, soon.slot, soon.trainee)
    db.session.commit()
    _refused_outside(lambda: _link_sign(client, token), "early")
    assert "trop tôt" in client.get(f"/l/{token}").get_data(as_text=True)
    opening = make_room(kind="distance", starts_at=_now() + timedelta(minutes=29))
    token = issue_slot_link(db.session, opening.slot, opening.trainee)
    db.session.commit()
    assert _link_sign(client, token).status_code == 201  # no longer only 15 min early
    ended = make_room(kind="distance", starts_at=_now() - timedelta(minutes=SLOT_MINUTES + 1))
    token = issue_slot_link(db.session, ended.slot, ended.trainee)
    db.session.commit()
    _refused_outside(lambda: _link_sign(client, token), "late", stored=1)


def test_autoformation_is_still_declared_days_after_and_not_past_its_days(client, app):
    recent = make_room(kind="autoformation", starts_at=_now() - timedelta(days=3))
    token = issue_slot_link(db.session, recent.slot, recent.trainee)
    db.session.commit()
    response = _link_sign(client, token, declaration="Exercices 1 à 4 sur les formules")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["confirmed"] is False
    old = make_room(kind="autoformation", starts_at=_now() - timedelta(days=8))
    token = issue_slot_link(db.session, old.slot, old.trainee)
    db.session.commit()
    late = {"declaration": "Exercices 5 et 6"}
    _refused_outside(lambda: _link_sign(client, token, **late), "late", stored=1)


def test_the_slot_qr_code_is_issued_only_inside_the_window(client, app):
    room = make_room(starts_at=_now() + timedelta(hours=2))
    with pytest.raises(DomainError) as refused:
        issue_slot_qr(db.session, room.slot)
    assert refused.value.code == "OUTSIDE_SLOT_WINDOW"
    message = refused.value.message  # names the day too when the window opens tomorrow
    opens = local_time(room.slot.starts_at - timedelta(minutes=30))
    assert message.startswith("Le QR code s'affichera") and f"{opens:%Hh%M}." in message
    api = client.get(f"/api/slots/{room.slot.id}/qr", headers=token_for(room.trainer))
    assert (api.status_code, api.get_json()["code"]) == (409, "OUTSIDE_SLOT_WINDOW")
    client.post(
        "/login", data=csrf_form(client, {"email": room.trainer.email, "password": PASSWORD})
    )
    page = client.get(f"/seances/{room.slot.id}/qr")
    assert page.status_code == 200
    assert message in html.unescape(page.get_data(as_text=True))
    polled = client.get(f"/seances/{room.slot.id}/qr.json")
    assert (polled.status_code, polled.get_json()["code"]) == (409, "OUTSIDE_SLOT_WINDOW")
    assert polled.get_json()["details"]["too"] == "early"


def test_the_projector_says_when_the_signing_closed(client, app):
    room = make_room(starts_at=_now() - timedelta(minutes=SLOT_MINUTES + 1))
    client.post(
        "/login", data=csrf_form(client, {"email": room.trainer.email, "password": PASSWORD})
    )
    page = client.get(f"/seances/{room.slot.id}/qr").get_data(as_text=True)
    assert "clos depuis" in page and 'data-closed="1"' in page


def test_the_trainer_still_marks_a_slot_after_its_window(client, app):
    room = make_room(starts_at=_now() - timedelta(days=1))
    response = client.patch(
        f"/api/slots/{room.slot.id}/roster/{room.trainee.id}",
        headers=token_for(room.trainer),
        json={"status": "absent", "absence_reason": "Malade"},
    )
    assert response.status_code == 200, response.get_json()
    assert db.session.scalars(select(Emargement)).one().status == "absent"
