"""Concurrent double submission: many threads sign at once through the real app (each with
its own connection); the database keeps one record per (slot, trainee) and the evidence
chain of the slot stays a single line. Runs on SQLite (WAL) and PostgreSQL like every DB test."""

import threading

from sqlalchemy import func, select

from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.signins import issue_slot_qr
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
