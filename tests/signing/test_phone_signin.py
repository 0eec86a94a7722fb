"""QR sign-in from a bound phone through the API: what is stored, and every refusal
(each with its own code, a French message, and nothing stored)."""

import base64
import io
import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from attendance.clock import local_day
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Device, Emargement, EvidenceEntry
from attendance.signing.common import Client
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signature import decode_signature
from attendance.signing.signins import issue_slot_qr, open_slot_code, sign_with_phone
from tests.factories import (
    bind_phone,
    gen_slot_code,
    make_room,
    signature_data_url,
    signature_png,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _sign(client, slot_id, token, credential=None, signature=None):
    if credential:
        client.set_cookie(DEVICE_COOKIE, credential)
    return client.post(
        "/api/signins",
        json={
            "slot_id": slot_id,
            "token": token,
            "signature": signature if signature is not None else signature_data_url(),
        },
    )


def _qr(slot, **kwargs) -> str:
    token, _ = issue_slot_qr(db.session, slot, **kwargs)
    db.session.commit()
    return token


@pytest.fixture
def phone(room):
    return bind_phone(room.trainee)


def test_bound_phone_signs_and_every_piece_of_evidence_is_stored(client, room, phone):
    token = _qr(room.slot)
    response = _sign(client, room.slot.id, token, phone)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["trainee_id"] == room.trainee.id and body["method"] == "qr"
    e = db.session.scalars(select(Emargement)).one()
    assert e.signature_png == signature_png()
    assert e.token_jti == token  # the compact code names the rotation it was shown in
    assert e.ip_address == "127.0.0.1" and e.user_agent is not None
    device = db.session.scalars(select(Device)).one()
    assert e.device_id == device.public_id and e.evidence["phone_id"] == device.phone_id
    assert abs((e.signed_at - datetime.now(UTC)).total_seconds()) < 10
    assert e.late_minutes == 0  # signed 2 minutes after the start: within the grace
    entries = db.session.execute(
        select(EvidenceEntry.chain, EvidenceEntry.kind).order_by(EvidenceEntry.id)
    ).all()
    slot_chain = f"slot:{room.slot.id}"
    assert [tuple(e) for e in entries] == [
        ("organisation", "device_bound"),
        ("organisation", "chain_opened"),
        (slot_chain, "signin"),
    ]


def test_late_arrival_is_computed_from_the_slot_start(client, app):
    room = make_room(starts_at=datetime.now(UTC) - timedelta(minutes=47, seconds=10))
    response = _sign(client, room.slot.id, _qr(room.slot), bind_phone(room.trainee))
    assert response.status_code == 201
    assert response.get_json()["late_minutes"] == 47


def test_signing_twice_says_already_signed_and_keeps_one_record(client, room, phone):
    token = _qr(room.slot)
    assert _sign(client, room.slot.id, token, phone).status_code == 201
    again = _sign(client, room.slot.id, token, phone)
    assert again.status_code == 409
    assert again.get_json()["code"] == "ALREADY_SIGNED"
    assert "Déjà signé" in again.get_json()["message"]
    assert _count(Emargement) == 1


def test_the_page_ticket_lets_a_slow_signer_sign_after_the_qr_code_rotated(
    client, room, phone, app
):
    app.config.update(
        SIGNIN_QR_ROTATION_SECONDS=1, SIGNIN_QR_GRACE_SECONDS=0, SIGNING_LEEWAY_SECONDS=0
    )
    qr = _qr(room.slot)
    _, _, ticket = open_slot_code(db.session, qr, phone, room.slot.id)
    db.session.commit()
    time.sleep(2.1)  # the code on the projector has rotated; the trainee is still signing
    assert _sign(client, room.slot.id, qr, phone).get_json()["code"] == "TOKEN_EXPIRED"
    assert _sign(client, room.slot.id, ticket, phone).status_code == 201


def _refused(client, room, token, credential, code, status, signature=None, slot_id=None):
    entries_before = _count(EvidenceEntry)
    response = _sign(client, slot_id or room.slot.id, token, credential, signature)
    body = response.get_json()
    assert (response.status_code, body["code"]) == (status, code), body
    assert body["message"] and body["message"][0].isupper()  # a sentence for a person
    assert _count(Emargement) == 0
    assert _count(EvidenceEntry) == entries_before
    return body


def test_expired_code_is_refused(client, room, phone):
    token = _qr(room.slot, now=datetime.now(UTC) - timedelta(minutes=2))
    body = _refused(client, room, token, phone, "TOKEN_EXPIRED", 401)
    assert "expiré" in body["message"]


def test_not_yet_valid_code_is_refused(client, room, phone):
    token = gen_slot_code(room.slot, at=datetime.now(UTC) + timedelta(minutes=2))
    _refused(client, room, token, phone, "TOKEN_NOT_YET_VALID", 401)


def test_forged_code_is_refused(client, room, phone):
    token = _qr(room.slot)
    _refused(
        client,
        room,
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        phone,
        "TOKEN_INVALID",
        401,
    )


def test_code_of_another_slot_is_refused(client, room, phone):
    from tests.factories import gen_slot

    other = gen_slot(
        room.composante,
        starts_at=room.slot.starts_at + timedelta(hours=4),
        trainer_id=room.trainer.id,
    )
    db.session.commit()
    # A genuine code of the later slot (its own window has not opened: signed directly).
    _refused(client, room, gen_slot_code(other), phone, "TOKEN_OTHER_SLOT", 400)


def test_code_of_another_organisation_is_refused(client, room, phone):
    elsewhere = make_room()
    _refused(client, elsewhere, _qr(elsewhere.slot), phone, "TOKEN_OTHER_ORGANISATION", 403)


def test_page_ticket_replayed_on_another_phone_is_refused(client, room, phone):
    _, _, ticket = open_slot_code(db.session, _qr(room.slot), phone, room.slot.id)
    db.session.commit()
    neighbour = bind_phone(room.trainees[1])
    _refused(client, room, ticket, neighbour, "TOKEN_REPLAYED", 403)


def test_unknown_phone_is_refused(client, room):
    _refused(client, room, _qr(room.slot), None, "DEVICE_UNKNOWN", 401)
    _refused(client, room, _qr(room.slot), "garbage-cookie", "DEVICE_UNKNOWN", 401)


def test_phone_unbound_by_a_new_invitation_is_refused(client, room, phone):
    bind_phone(room.trainee)  # the trainee moved to a new phone
    body = _refused(client, room, _qr(room.slot), phone, "DEVICE_NOT_BOUND", 403)
    assert "invitation" in body["message"]


def test_trainee_not_enrolled_on_the_slot_is_refused(client, room):
    stranger = make_room().trainee
    # Same organisation is required for a device: enrol a trainee of room's org elsewhere.
    from tests.factories import gen_trainee

    outsider = gen_trainee(room.org)
    db.session.commit()
    _refused(client, room, _qr(room.slot), bind_phone(outsider), "NOT_ENROLLED", 403)
    assert stranger.id != outsider.id


def test_oversized_signature_is_refused(client, room, phone, app):
    app.config["SIGNATURE_MAX_BYTES"] = 2000
    noisy = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 2000
    _refused(
        client,
        room,
        _qr(room.slot),
        phone,
        "SIGNATURE_TOO_LARGE",
        413,
        signature=signature_data_url(buffer.getvalue()),
    )


@pytest.mark.parametrize(
    "signature",
    [
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0 jpeg").decode(),
        base64.b64encode(b"GIF89a not a png").decode(),
        "data:image/png;base64,!!!not-base64!!!",
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n truncated").decode(),
    ],
    ids=["jpeg", "gif", "not-base64", "truncated-png"],
)
def test_non_png_signature_is_refused(client, room, phone, signature):
    _refused(client, room, _qr(room.slot), phone, "SIGNATURE_NOT_PNG", 422, signature=signature)


def test_blank_signature_is_refused(client, room, phone):
    blank = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(blank, "PNG")
    _refused(
        client,
        room,
        _qr(room.slot),
        phone,
        "SIGNATURE_EMPTY",
        422,
        signature=signature_data_url(blank.getvalue()),
    )


def test_validated_slot_is_refused(client, room, phone):
    from attendance.signing.roster import validate_slot

    validate_slot(db.session, room.slot, room.trainer, signature_data_url())
    entries = _count(EvidenceEntry)
    response = _sign(client, room.slot.id, _qr(room.slot), phone)
    assert (response.status_code, response.get_json()["code"]) == (409, "SLOT_VALIDATED")
    assert (
        db.session.scalar(
            select(func.count()).select_from(Emargement).where(Emargement.status == "present")
        )
        == 0
    )
    assert _count(EvidenceEntry) == entries


def test_missing_fields_get_french_validation_errors(client, room, phone):
    client.set_cookie(DEVICE_COOKIE, phone)
    response = client.post("/api/signins", json={"slot_id": room.slot.id})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR" and "token" in body["details"]["fields"]


def test_decode_signature_accepts_bare_base64(app):
    assert decode_signature(base64.b64encode(signature_png()).decode()) == signature_png()


@pytest.mark.parametrize(
    ("entry", "exit", "expected"),
    [
        (0, None, 201),  # enters on the slot's day
        (1, None, "NOT_ENROLLED"),  # enters the day after
        (-30, 0, 201),  # leaves on the slot's day
        (-30, -1, "NOT_ENROLLED"),  # left the day before
    ],
    ids=["enters-that-day", "enters-after", "leaves-that-day", "left-before"],
)
def test_the_pathway_is_judged_on_the_slot_s_local_day(client, entry, exit, expected):
    """Who is expected is read with the slot (PostgreSQL) or on its own (SQLite): both give
    the same answer at the edges of a pathway, counted in days of France. The slot starts
    at 22:30 UTC, already the next day in Paris; the phone signs as it starts (``Client.now``)
    with the code shown then."""
    from tests.factories import gen_pathway, gen_trainee

    room = make_room(starts_at=datetime(2026, 6, 15, 22, 30, tzinfo=UTC))
    day = local_day(room.slot.starts_at)
    assert day == date(2026, 6, 16)
    trainee = gen_trainee(room.org)
    pathway = gen_pathway(
        trainee,
        room.composante,
        entry_date=day + timedelta(days=entry),
        planned_exit_date=day + timedelta(days=60),
    )
    if exit is not None:
        pathway.effective_exit_date = day + timedelta(days=exit)
    db.session.commit()
    credential = bind_phone(trainee)

    def sign():
        return sign_with_phone(
            db.session,
            room.slot.id,
            gen_slot_code(room.slot, at=room.slot.starts_at),
            signature_data_url(),
            credential,
            Client(ip="10.0.0.7", now=room.slot.starts_at),
        )

    if expected == 201:
        assert sign().trainee_id == trainee.id
    else:
        with pytest.raises(DomainError) as refused:
            sign()
        assert (refused.value.code, refused.value.status) == (expected, 403)
        db.session.rollback()
        assert _count(Emargement) == 0
