"""The hash-chained evidence log and ``attendance audit verify``: an intact chain passes;
an edited, removed or truncated entry, or an emargement edited behind the log, is named."""

import itertools

import pytest
from sqlalchemy import delete, select, update

from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry
from attendance.signing.common import Client
from attendance.signing.evidence import verify_chain
from attendance.signing.roster import mark, validate_slot
from attendance.signing.signins import issue_slot_qr, sign_with_phone
from tests.signing.helpers import bind_phone, signature_data_url


@pytest.fixture
def logged(room):
    """Three phones bound, two sign-ins, a late mark and a validation: 8 entries."""
    credentials = [bind_phone(t) for t in room.trainees]
    token, _ = issue_slot_qr(db.session, room.slot)
    db.session.commit()
    for credential in credentials[:2]:
        sign_with_phone(
            db.session,
            room.slot.id,
            token,
            signature_data_url(),
            credential,
            Client(ip="10.0.0.1", user_agent="test"),
        )
    mark(db.session, room.slot, room.trainees[0], room.trainer, {"late_minutes": 12})
    validate_slot(db.session, room.slot, room.trainer, signature_data_url())
    return room


def _entry(seq) -> EvidenceEntry:
    return db.session.scalar(select(EvidenceEntry).where(EvidenceEntry.seq == seq))


def test_intact_chain_verifies_and_links_every_entry(logged):
    report = verify_chain(db.session, logged.org)
    assert report.ok and report.entries == 8
    kinds = db.session.scalars(select(EvidenceEntry.kind).order_by(EvidenceEntry.seq)).all()
    assert kinds == ["device_bound"] * 3 + [
        "signin",
        "signin",
        "roster_change",
        "absent_at_validation",
        "validation",
    ]
    entries = db.session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.seq)).all()
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash


def test_edited_entry_is_named_as_the_first_broken_one(logged):
    payload = dict(_entry(4).payload, ip="192.168.1.99")
    db.session.execute(update(EvidenceEntry).where(EvidenceEntry.seq == 4).values(payload=payload))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_at, report.problem) == (4, "contenu modifié (empreinte invalide)")


def test_entry_rehashed_after_editing_breaks_the_next_link(logged):
    from attendance.signing.evidence import entry_hash

    entry = _entry(5)
    payload = dict(entry.payload, method="kiosk")
    forged = entry_hash(entry.organisation_id, 5, entry.at, entry.kind, payload, entry.prev_hash)
    db.session.execute(
        update(EvidenceEntry).where(EvidenceEntry.seq == 5).values(payload=payload, hash=forged)
    )
    db.session.commit()
    assert verify_chain(db.session, logged.org).broken_at == 6


def test_removed_entry_is_detected(logged):
    db.session.execute(delete(EvidenceEntry).where(EvidenceEntry.seq == 3))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_at, report.problem) == (3, "entrée manquante")


def test_truncated_tail_is_detected(logged):
    db.session.execute(delete(EvidenceEntry).where(EvidenceEntry.seq == 8))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert report.broken_at == 8 and "tronquée" in report.problem


def test_emargement_edited_behind_the_log_is_reported(logged):
    db.session.execute(
        update(Emargement)
        .where(Emargement.trainee_id == logged.trainees[1].id)
        .values(late_minutes=0, signed_at=logged.slot.starts_at)
    )
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    altered = db.session.scalar(
        select(Emargement.id).where(Emargement.trainee_id == logged.trainees[1].id)
    )
    assert report.broken_at is None and report.altered_records == [altered]
    assert not report.ok


def test_cli_audit_verify_passes_then_names_the_broken_entry(logged, runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "8 entrée(s), chaîne intègre" in result.output
    payload = dict(_entry(7).payload, trainee_id=999)
    db.session.execute(update(EvidenceEntry).where(EvidenceEntry.seq == 7).values(payload=payload))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--siret", logged.org.siret])
    assert result.exit_code == 1
    assert "ROMPU à l'entrée n° 7" in result.output
