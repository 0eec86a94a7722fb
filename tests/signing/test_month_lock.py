"""R11: once the month is validated, the sign-in paths refuse to change it too (409)."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.clock import local_day
from attendance.evidence import slot_chain
from attendance.extensions import db
from attendance.models import (
    Emargement,
    EmargementRevision,
    EvidenceEntry,
    MonthPeriod,
    Slot,
)
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signins import issue_slot_qr
from tests.factories import (
    bind_phone,
    make_room,
    mark_month_validated,
    signature_data_url,
    token_for,
)


def _count(model) -> int:
    db.session.commit()  # a fresh snapshot (SQLite keeps its read transaction's)
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def locked_room(app):
    room = make_room()
    return room


def test_a_phone_cannot_sign_into_a_validated_month(client, locked_room):
    room = locked_room
    credential = bind_phone(room.trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    mark_month_validated(room)
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
    mark_month_validated(room)
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
    mark_month_validated(room)
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


def _sign(app, credential, token, slot_id, signature, answers) -> None:
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, credential)
    response = client.post(
        "/api/signins", json={"slot_id": slot_id, "token": token, "signature": signature}
    )
    answers.append((response.status_code, response.get_json().get("code")))


def _race(app, room, hold, then=None) -> tuple[list, int, int]:
    """``hold(connection)`` takes what a validation holds, in a transaction left open while
    a phone signs; once the phone is seen waiting, ``then(connection)`` does the rest of the
    validation before it commits. Returns the phone's answers, and the records and sign-in
    entries it left."""
    credential = bind_phone(room.trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    records, entries = _count(Emargement), _signin_entries()
    validation = db.engine.connect()
    validation.begin()
    hold(validation)
    answers = []
    signing = threading.Thread(
        target=_sign,
        args=(app, credential, token, room.slot.id, signature_data_url(), answers),
    )
    signing.start()
    signing.join(timeout=1.5)
    try:
        assert signing.is_alive(), f"the sign-in did not wait for the validation: {answers}"
        if then is not None:
            then(validation)
    finally:
        validation.commit()
        validation.close()
        signing.join(timeout=30)
    return answers, _count(Emargement) - records, _signin_entries() - entries


def _signin_entries() -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count()).select_from(EvidenceEntry).where(EvidenceEntry.kind == "signin")
    )


def _open_chain(app, room) -> None:
    """Another trainee signs first, so the slot's chain already has its head (the sign-in
    then inserts, locks and re-checks in one statement on PostgreSQL)."""
    answers = []
    token, _ = issue_slot_qr(db.session, room.slot)
    _sign(app, bind_phone(room.trainees[1]), token, room.slot.id, signature_data_url(), answers)
    assert answers == [(201, None)]


@pytest.mark.parametrize("chain_open", [False, True], ids=["first-signin", "chain-open"])
def test_a_signin_racing_a_month_validation_waits_for_it_and_is_refused(
    app, locked_room, chain_open
):
    """The validation holds its month row (PostgreSQL row lock, SQLite write lock) while it
    freezes the figures; a phone signing meanwhile must wait for it, then see « validé »,
    not slip a record into the month being locked."""
    room = locked_room
    if chain_open:
        _open_chain(app, room)
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

    def hold(validation):
        validation.execute(
            update(MonthPeriod).where(MonthPeriod.month == month).values(state="validated")
        )

    answers, records, entries = _race(app, room, hold)
    assert answers == [(409, "MONTH_VALIDATED")]
    assert records == 0 and entries == 0


def _slot_chain_held(room):
    """What the roster's validation and marking do first: their logged write takes the
    slot's chain (opening it when the slot has none yet)."""

    def hold(validation):
        evidence.lock_chain(Session(bind=validation), room.org.id, slot_chain(room.slot.id))

    return hold


@pytest.mark.parametrize("chain_open", [False, True], ids=["first-signin", "chain-open"])
def test_a_signin_racing_the_slot_validation_waits_for_it_and_is_refused(
    app, locked_room, chain_open
):
    """The trainer's validation holds the slot's chain while it marks the absent and,
    last, locks the slot; a phone signing meanwhile waits for the chain, then must see the
    slot as validated (the re-check reads it as committed, not as it was when the phone's
    statement began)."""
    room = locked_room
    if chain_open:
        _open_chain(app, room)

    def then(validation):
        # Last, with the phone waiting, the validation locks the slot.
        validation.execute(
            update(Slot).where(Slot.id == room.slot.id).values(validated_at=datetime.now(UTC))
        )

    answers, records, entries = _race(app, room, _slot_chain_held(room), then)
    assert answers == [(409, "SLOT_VALIDATED")]
    assert records == 0 and entries == 0


@pytest.mark.parametrize("chain_open", [False, True], ids=["first-signin", "chain-open"])
def test_a_signin_racing_the_trainer_marking_that_trainee_absent_does_not_deadlock(
    app, locked_room, chain_open
):
    """Validating (or marking) holds the slot's chain and inserts the absent trainees'
    rows. A phone signing meanwhile must not have inserted its own row before waiting for
    the chain: the two inserts would wait for each other on the unique (slot, trainee)
    index (PostgreSQL: a deadlock, one side aborted). The phone waits, then is told it was
    marked absent."""
    room = locked_room
    if chain_open:
        _open_chain(app, room)

    def then(validation):
        validation.execute(
            insert(Emargement).values(
                organisation_id=room.org.id,
                slot_id=room.slot.id,
                trainee_id=room.trainee.id,
                status="absent",
                method="trainer",
            )
        )

    answers, records, entries = _race(app, room, _slot_chain_held(room), then)
    assert answers == [(409, "ALREADY_SIGNED")]
    assert records == 1 and entries == 0  # the absence the trainer recorded, nothing more
