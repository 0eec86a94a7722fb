"""The hash-chained evidence log and ``attendance audit verify``: an intact log passes;
an edited, removed or truncated entry, a slot chain removed wholesale, or an emargement
edited behind the log, is named. Each slot has its own chain (sign-ins, roster,
validation); the organisation's chain holds phones, months and the opening of each slot
chain."""

import hashlib
import itertools
import json

import pytest
from sqlalchemy import delete, select, update

from attendance.evidence import entry_hash, verify_chain
from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry, EvidenceHead
from attendance.signing.common import Client
from attendance.signing.roster import mark, validate_slot
from attendance.signing.signins import issue_slot_qr, sign_with_phone
from tests.factories import bind_phone, signature_data_url

ORG = "organisation"


@pytest.fixture
def logged(room):
    """Three phones bound, two sign-ins, a late mark and a validation: 4 entries in the
    organisation chain (3 phones, the slot chain's opening), 5 in the slot's."""
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
    room.chain = f"slot:{room.slot.id}"
    return room


def _chain(name) -> list[EvidenceEntry]:
    return db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.chain == name).order_by(EvidenceEntry.seq)
    ).all()


def _where(chain, seq):
    return (EvidenceEntry.chain == chain) & (EvidenceEntry.seq == seq)


def _entry(chain, seq) -> EvidenceEntry:
    return db.session.scalar(select(EvidenceEntry).where(_where(chain, seq)))


def test_intact_chains_verify_and_link_every_entry(logged):
    report = verify_chain(db.session, logged.org)
    assert report.ok and report.entries == 9 and report.chains == 2
    assert [e.kind for e in _chain(ORG)] == ["device_bound"] * 3 + ["chain_opened"]
    assert _chain(ORG)[-1].payload == {"chain": logged.chain}
    assert [e.kind for e in _chain(logged.chain)] == [
        "signin",
        "signin",
        "roster_change",
        "absent_at_validation",
        "validation",
    ]
    for name in (ORG, logged.chain):
        for previous, entry in itertools.pairwise(_chain(name)):
            assert entry.prev_hash == previous.hash


def test_organisation_chain_keeps_the_hash_of_entries_written_before_slot_chains(logged):
    """Migration 0009 moved existing entries into the organisation chain unchanged: their
    hash (no chain name in it) must still be the one the verifier recomputes."""
    entry = _chain(ORG)[0]
    body = {
        "org": entry.organisation_id,
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "kind": entry.kind,
        "payload": entry.payload,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()
    slot_entry = _chain(logged.chain)[0]
    assert slot_entry.hash != entry_hash(
        slot_entry.organisation_id,
        slot_entry.seq,
        slot_entry.at,
        slot_entry.kind,
        slot_entry.payload,
        slot_entry.prev_hash,
    )  # a slot entry's hash covers its chain's name


def test_edited_entry_is_named_as_the_first_broken_one(logged):
    payload = dict(_entry(logged.chain, 1).payload, ip="192.168.1.99")
    db.session.execute(update(EvidenceEntry).where(_where(logged.chain, 1)).values(payload=payload))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.broken_at, report.problem) == (
        logged.chain,
        1,
        "contenu modifié (empreinte invalide)",
    )


def test_entry_rehashed_after_editing_breaks_the_next_link(logged):
    entry = _entry(logged.chain, 2)
    payload = dict(entry.payload, method="kiosk")
    forged = entry_hash(
        entry.organisation_id, 2, entry.at, entry.kind, payload, entry.prev_hash, logged.chain
    )
    db.session.execute(
        update(EvidenceEntry).where(_where(logged.chain, 2)).values(payload=payload, hash=forged)
    )
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.broken_at) == (logged.chain, 3)


def test_entry_moved_to_another_chain_is_detected(logged):
    db.session.execute(update(EvidenceEntry).where(_where(logged.chain, 5)).values(chain="slot:0"))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert not report.ok and report.broken_chain in (logged.chain, "slot:0")


@pytest.mark.parametrize(("chain", "seq"), [(ORG, 3), ("slot", 2)])
def test_removed_entry_is_detected(logged, chain, seq):
    chain = logged.chain if chain == "slot" else chain
    db.session.execute(delete(EvidenceEntry).where(_where(chain, seq)))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.broken_at, report.problem) == (
        chain,
        seq,
        "entrée manquante",
    )


def test_truncated_tail_is_detected(logged):
    db.session.execute(delete(EvidenceEntry).where(_where(logged.chain, 5)))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.broken_at) == (logged.chain, 5)
    assert "tronquée" in report.problem


def test_slot_chain_removed_with_its_head_is_detected(logged):
    db.session.execute(delete(EvidenceEntry).where(EvidenceEntry.chain == logged.chain))
    db.session.execute(delete(EvidenceHead).where(EvidenceHead.chain == logged.chain))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.problem) == (logged.chain, "chaîne entière supprimée")


def test_slot_chain_not_opened_in_the_organisation_chain_is_detected(logged):
    """Forging a whole slot chain from scratch needs its opening in the organisation chain,
    which would break that chain."""
    db.session.execute(update(EvidenceEntry).where(_where(ORG, 4)).values(payload={"chain": "x"}))
    db.session.commit()
    report = verify_chain(db.session, logged.org)
    assert (report.broken_chain, report.broken_at) == (ORG, 4)


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
    assert "9 entrée(s) dans 2 chaîne(s), chaînes intègres" in result.output
    payload = dict(_entry(logged.chain, 4).payload, trainee_id=999)
    db.session.execute(update(EvidenceEntry).where(_where(logged.chain, 4)).values(payload=payload))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--siret", logged.org.siret])
    assert result.exit_code == 1
    assert f"ROMPU à l'entrée n° 4 de la chaîne séance {logged.slot.id}" in result.output
