"""Sign-ins only inside the slot's window (DOMAIN « What controllers reject »): from
``SIGNIN_OPENING_MINUTES`` before the start until the end in the room and for distance
links, days after for autoformation. Outside it nothing is stored; the trainer's marks and
corrections stay open, they are the way to record what happened outside."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry
from attendance.signing.devices import DEVICE_COOKIE
from tests.factories import bind_phone, gen_slot_code, make_room, signature_data_url


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


def _refused_outside(response, entries_before: int) -> dict:
    body = response.get_json()
    assert (response.status_code, body["code"]) == (409, "OUTSIDE_SLOT_WINDOW"), body
    assert _count(Emargement) == 0
    assert _count(EvidenceEntry) == entries_before
    return body


def test_a_slot_ten_days_ahead_cannot_be_signed_from_a_phone(client, app):
    room = make_room(starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=10))
    phone = bind_phone(room.trainee)
    entries = _count(EvidenceEntry)
    body = _refused_outside(_phone_sign(client, room, phone), entries)
    assert "trop tôt" in body["message"] and "correction" in body["message"]
