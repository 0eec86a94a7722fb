"""Concurrent double submission: many threads sign at once through the real app (each with
its own connection); the database keeps one record per (slot, trainee) and the evidence
chain of the slot stays a single line; a burst of wrong kiosk PINs counts exactly the PIN's
tries. Runs on SQLite (WAL) and PostgreSQL like every DB test."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry, KioskCredential
from attendance.signing import kiosk
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signins import issue_slot_qr
from tests.concurrency import burst, tally
from tests.factories import bind_phone, signature_data_url


def _storm(app, submissions: list[tuple[int, str, str]]) -> list[tuple[int, str | None]]:
    """Fire every (slot_id, token, credential) submission at the same moment."""
    barrier = threading.Barrier(len(submissions))
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()
    signature = signature_data_url()

    def submit(slot_id, token, credential):
        client = app.test_client()
        client.set_cookie(DEVICE_COOKIE, credential)
        barrier.wait()
        response = client.post(
            "/api/signins", json={"slot_id": slot_id, "token": token, "signature": signature}
        )
        with lock:
            results.append((response.status_code, (response.get_json() or {}).get("code")))

    threads = [threading.Thread(target=submit, args=s) for s in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_double_submission_from_many_threads_stores_one_record(app, room):
    credential = bind_phone(room.trainee)
    token, _ = issue_slot_qr(db.session, room.slot)
    db.session.commit()
    results = _storm(app, [(room.slot.id, token, credential)] * 8)
    assert sorted(results) == [(201, None)] + [(409, "ALREADY_SIGNED")] * 7
    db.session.rollback()  # end this thread's snapshot to see the others' commits
    assert db.session.scalar(select(func.count()).select_from(Emargement)) == 1
    report = verify_chain(db.session, room.org)
    # the phone binding and the slot chain's opening (organisation chain), one sign-in
    assert report.ok and report.entries == 3 and report.chains == 2


def test_a_room_signing_at_once_keeps_every_record_and_one_chain(app, room):
    credentials = [bind_phone(t) for t in room.trainees]
    token, _ = issue_slot_qr(db.session, room.slot)
    db.session.commit()
    results = _storm(app, [(room.slot.id, token, c) for c in credentials for _ in range(4)])
    assert sum(1 for status, _ in results if status == 201) == len(room.trainees)
    assert all(code == "ALREADY_SIGNED" for status, code in results if status != 201)
    db.session.rollback()  # end this thread's snapshot to see the others' commits
    signed = db.session.scalars(select(Emargement.trainee_id)).all()
    assert sorted(signed) == sorted(t.id for t in room.trainees)
    seqs = db.session.scalars(
        select(EvidenceEntry.seq)
        .where(EvidenceEntry.chain == f"slot:{room.slot.id}")
        .order_by(EvidenceEntry.seq)
    ).all()
    assert seqs == list(range(1, len(room.trainees) + 1))
    assert verify_chain(db.session, room.org).ok


def test_forty_wrong_pins_at_once_count_five_tries_then_the_right_pin_waits_for_the_cool_down(
    app, room
):
    kiosk.set_pin(db.session, room.org, room.trainee, "4821")
    kiosk_token = kiosk.start_kiosk(db.session, room.slot)
    db.session.commit()
    trainee_id, signature = room.trainee.id, signature_data_url()

    def sign(client, pin):
        client.set_cookie(kiosk.KIOSK_COOKIE, kiosk_token)
        body = {"trainee_id": trainee_id, "pin": pin, "signature": signature}
        return client.post("/api/signins/kiosk", json=body)

    responses = burst(app, 40, lambda client, i: sign(client, f"{1000 + i:04d}"))
    assert tally(responses) == {
        (401, "KIOSK_PIN_INVALID"): kiosk.MAX_PIN_FAILURES,
        (429, "KIOSK_PIN_LOCKED"): 40 - kiosk.MAX_PIN_FAILURES,
    }
    right = sign(app.test_client(), "4821")
    assert (right.status_code, right.get_json()["code"]) == (429, "KIOSK_PIN_LOCKED")
    assert "bloqué" in right.get_json()["message"]
    db.session.rollback()  # end this thread's snapshot to see the others' commits
    assert db.session.scalar(select(func.count()).select_from(Emargement)) == 0
    credential = db.session.scalars(select(KioskCredential)).one()
    credential.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # the cool-down ends
    db.session.commit()
    assert sign(app.test_client(), "4821").status_code == 201
