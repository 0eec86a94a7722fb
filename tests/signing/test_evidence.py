"""The hash-chained evidence log and ``attendance audit verify``: an intact log passes;
an edited, removed or truncated entry, a slot chain removed wholesale, or an emargement
edited behind the log, is named. Each slot has its own chain (sign-ins, roster,
validation); the organisation's chain holds phones, months and the opening of each slot
chain."""

import hashlib
import itertools
import json

import pytest
from sqlalchemy import delete, insert, select, update

from attendance.contract.corrections import create_correction
from attendance.evidence import entry_hash, verify_chain
from attendance.extensions import db
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    EmargementRevision,
    EvidenceEntry,
    EvidenceHead,
    Invoice,
    MonthDeclaration,
)
from attendance.signing.common import Client
from attendance.signing.roster import mark, validate_slot
from attendance.signing.signins import issue_slot_qr, sign_with_phone
from billing.pdf import invoice_html
from tests.factories import (
    bind_phone,
    gen_correction,
    gen_trainee,
    gen_user,
    make_archive,
    make_group,
    signature_data_url,
    tiny_png,
)

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


# Completeness: each record that counts hours has its entry, each entry its record.


def _emargement_of(trainee) -> Emargement:
    return db.session.scalar(select(Emargement).where(Emargement.trainee_id == trainee.id))


def test_emargement_deleted_with_its_entry_kept_is_named(logged, runner):
    emargement = _emargement_of(logged.trainees[1])
    db.session.execute(delete(EmargementRevision))
    db.session.execute(delete(Emargement).where(Emargement.id == emargement.id))
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1, result.output
    assert f"émargement n° {emargement.id} supprimé (entrée n° 2 de la chaîne séance" in (
        result.output
    )
    assert "chaînes intègres" not in result.output


def test_emargement_inserted_behind_the_log_is_named(logged, runner):
    other = gen_trainee(logged.org)
    db.session.commit()
    forged = db.session.execute(
        insert(Emargement)
        .values(
            organisation_id=logged.org.id,
            slot_id=logged.slot.id,
            trainee_id=other.id,
            status="present",
            method="qr",
            signed_at=logged.slot.starts_at,
        )
        .returning(Emargement.id)
    ).scalar_one()
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1, result.output
    assert f"émargement n° {forged} ajouté hors journal" in result.output
    assert "antérieur" not in result.output


def test_correction_deleted_or_inserted_behind_the_log_is_named(room, runner):
    """A correctif horaire replaces a day's realised hours (R12): it is logged at birth."""
    user = gen_user(room.org, "admin")
    data = {
        "trainee_id": room.trainee.id,
        "composante_id": room.composante.id,
        "scope": "day",
        "day": room.slot.starts_at.date(),
        "hour_class": "centre",
        "minutes": 120,
        "reason": "Feuille papier signée",
    }
    logged_one = create_correction(db.session, room.org, data, user, tiny_png())
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    forged = db.session.execute(
        insert(Correction)
        .values(
            organisation_id=room.org.id,
            trainee_id=room.trainee.id,
            composante_id=room.composante.id,
            scope="day",
            day=room.slot.starts_at.date(),
            hour_class="centre",
            minutes=420,
            reason="forgé",
            validated=True,
            details={},
        )
        .returning(Correction.id)
    ).scalar_one()
    db.session.execute(delete(Correction).where(Correction.id == logged_one.id))
    db.session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1, result.output
    assert f"correctif n° {logged_one.id} supprimé (entrée n° 1 de la chaîne organisme)" in (
        result.output
    )
    assert f"correctif n° {forged} ajouté hors journal" in result.output


def _rewind_last_entry(chain) -> EvidenceEntry:
    """Delete a chain's last entry and move its head back, so the chain alone looks whole."""
    entries = _chain(chain)
    last, before = entries[-1], entries[-2]
    db.session.execute(delete(EvidenceEntry).where(_where(chain, last.seq)))
    db.session.execute(
        update(EvidenceHead)
        .where(EvidenceHead.chain == chain)
        .values(seq=before.seq, last_hash=before.hash)
    )
    db.session.commit()
    return last


def test_rewound_head_is_named_against_an_exported_anchor(logged, runner, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    result = runner.invoke(args=["audit", "anchor", "--out", str(anchors)])
    assert result.exit_code == 0, result.output
    line = json.loads(anchors.read_text().splitlines()[-1])
    assert line["siret"] == logged.org.siret and line["heads"][logged.chain][0] == 5
    assert runner.invoke(args=["audit", "verify", "--anchors", str(anchors)]).exit_code == 0

    _rewind_last_entry(logged.chain)

    result = runner.invoke(args=["audit", "verify", "--anchors", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"entrée n° 5 de la chaîne séance {logged.slot.id}" in result.output
    assert "ancre" in result.output


def test_anchor_lines_are_found_in_a_saved_digest_email(logged, runner, tmp_path):
    """The daily staff digest carries the same line: an operator can keep the e-mails."""
    from attendance.evidence import anchor_line, take_anchor

    text = "Bonjour,\n\nAncre du journal de preuves :\n" + anchor_line(
        take_anchor(db.session, logged.org)
    )
    (tmp_path / "digest.eml").write_text(text + "\n\nCordialement\n")
    _rewind_last_entry(logged.chain)
    result = runner.invoke(args=["audit", "verify", "--anchors", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"entrée n° 5 de la chaîne séance {logged.slot.id}" in result.output


def test_validated_month_and_invoice_carry_the_heads_and_verify_checks_them(app, runner):
    """Each validated month's declaration and each issued invoice keep the chain heads
    (and the invoice prints their digest): a head rewound after them is named without any
    anchor file."""
    archive = make_archive(n_old=1)
    declaration = db.session.scalars(select(MonthDeclaration)).one()
    invoice = db.session.scalars(select(Invoice)).one()
    for anchored in (declaration.evidence_heads, invoice.evidence_heads):
        assert anchored["siret"] == archive.org.siret and ORG in anchored["heads"]
        assert len(anchored["digest"]) == 64
    assert invoice.evidence_heads["digest"] in invoice_html(invoice)
    slot_chain = next(c for c in invoice.evidence_heads["heads"] if c.startswith("slot:"))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    _rewind_last_entry(slot_chain)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"chaîne séance {slot_chain[5:]}" in result.output
    assert f"facture {invoice.number}" in result.output


def test_audit_verify_accepts_the_demo(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "chaînes intègres" in result.output and "antérieur" not in result.output


def test_factory_sign_ins_and_corrections_are_logged(app):
    group = make_group()
    composante = db.session.get(Composante, group.slot.composante_id)
    gen_correction(group.late[0], composante, group.slot.starts_at.date(), 60)
    db.session.commit()
    report = verify_chain(db.session, group.org)
    assert report.ok and report.record_problems == []
