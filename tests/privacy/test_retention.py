"""Retention on generated data older than the limit: names and signatures go; hours, monthly
totals, declarations' totals and invoices stay; the evidence log still verifies."""

from sqlalchemy import func, select

from attendance.evidence import verify_chain
from attendance.extensions import db
from attendance.hours.aggregate import hours_to_date, trainee_month_hours
from attendance.models import (
    AbsenceJustification,
    Composante,
    Device,
    Emargement,
    EmargementRevision,
    EvidenceEntry,
    Invitation,
    Invoice,
    KioskCredential,
    MonthDeclaration,
    Trainee,
)
from tests.factories import MARCH_2018, gen_correction, make_archive, tiny_pdf


def _figures(archive):
    """Everything that must not move, as plain values."""
    declarations = db.session.scalars(select(MonthDeclaration).order_by(MonthDeclaration.id))
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.id))
    return {
        "declarations": [(d.version, d.totals, d.checksum, len(d.rows)) for d in declarations],
        "declared_minutes": [
            {k: v for k, v in row.items() if k.endswith("_minutes")}
            for d in db.session.scalars(select(MonthDeclaration))
            for row in d.rows
        ],
        "invoices": [
            (
                i.number,
                i.total_excl_vat,
                i.total_incl_vat,
                [(line.realised_minutes, line.billable_minutes, line.amount) for line in i.lines],
            )
            for i in invoices
        ],
        "month_hours": sorted(
            (r.trainee_id, r.hour_class, r.minutes, r.corrected_minutes)
            for r in trainee_month_hours(db.session, archive.org, archive.old_order_id, MARCH_2018)
        ),
        "to_date": sorted(
            (r.trainee_id, r.hour_class, r.minutes)
            for r in hours_to_date(db.session, archive.org, archive.old_order_id, MARCH_2018)
        ),
    }


def test_dry_run_lists_who_would_go_and_changes_nothing(app, runner):
    archive = make_archive()
    names = [t.display_name for t in archive.old]
    entries = db.session.scalar(select(func.count()).select_from(EvidenceEntry))

    result = runner.invoke(args=["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    for name in names:
        assert name in result.output
    for kept in archive.kept:
        assert kept.display_name not in result.output
    assert "Simulation : 3 stagiaire(s) seraient anonymisé(s)" in result.output
    assert "4 signature(s), 1 téléphone(s), 1 invitation(s)" in result.output
    db.session.expire_all()
    assert [t.display_name for t in archive.old] == names
    assert db.session.scalar(select(func.count()).select_from(EvidenceEntry)) == entries


def test_retention_removes_names_and_signatures_and_keeps_every_figure(app, runner):
    archive = make_archive()
    old_ids = [t.id for t in archive.old]
    old_names = [(t.last_name, t.first_name) for t in archive.old]
    kept_names = [t.display_name for t in archive.kept]
    before = _figures(archive)
    assert before["invoices"][0][1] > 0 and before["month_hours"] and before["declarations"]
    assert verify_chain(db.session, archive.org).ok
    db.session.commit()

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 0, result.output
    assert "3 stagiaire(s) anonymisé(s)" in result.output
    db.session.expire_all()
    for trainee in db.session.scalars(select(Trainee).where(Trainee.id.in_(old_ids))):
        assert trainee.last_name == "ANONYME" and trainee.first_name == f"n° {trainee.id}"
        assert (trainee.email, trainee.phone, trainee.birth_date, trainee.external_id) == (
            None,
            None,
            None,
            None,
        )
        assert trainee.anonymised_at is not None
    emargements = db.session.scalars(
        select(Emargement).where(Emargement.trainee_id.in_(old_ids))
    ).all()
    assert len(emargements) == 12
    assert all(e.signature_png is None and e.ip_address is None for e in emargements)
    assert all("ip" not in e.evidence and "phone_id" not in e.evidence for e in emargements)
    assert all(e.absence_reason is None for e in emargements)
    revisions = db.session.scalars(select(EmargementRevision)).all()
    assert revisions and all(r.after.get("absence_reason") is None for r in revisions)
    for model in (Device, Invitation, KioskCredential):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    # Declarations no longer name them.
    for declaration in db.session.scalars(select(MonthDeclaration)):
        text = str(declaration.rows) + str(declaration.grid)
        for last, first in old_names:
            assert last not in text and first not in text
    # Other trainees keep their data.
    assert [t.display_name for t in archive.kept] == kept_names
    kept_signatures = db.session.scalar(
        select(func.count())
        .select_from(Emargement)
        .where(
            Emargement.trainee_id.in_([t.id for t in archive.kept]),
            Emargement.signature_png.is_not(None),
        )
    )
    assert kept_signatures == 2
    # Every figure is unchanged.
    assert _figures(archive) == before
    # The log records each anonymisation and still verifies.
    entries = db.session.scalars(
        select(EvidenceEntry).where(EvidenceEntry.kind == "retention").order_by(EvidenceEntry.seq)
    ).all()
    assert [e.payload["trainee_id"] for e in entries] == old_ids
    assert entries[0].payload["removed"]["signatures"] == 4
    assert entries[0].payload["removed"]["devices"] == 1
    report = verify_chain(db.session, archive.org)
    assert report.ok and report.altered_records == []
    audit = runner.invoke(args=["audit", "verify"])
    assert audit.exit_code == 0, audit.output
    assert "chaînes intègres" in audit.output

    # A second run finds nothing left to do.
    again = runner.invoke(args=["retention"])
    assert "0 stagiaire(s) anonymisé(s)" in again.output


def test_an_anonymised_record_edited_afterwards_is_still_caught(app, runner):
    archive = make_archive(n_old=1)
    runner.invoke(args=["retention"])
    emargement = db.session.scalar(
        select(Emargement).where(Emargement.trainee_id == archive.old[0].id)
    )
    emargement.late_minutes = 45
    db.session.commit()
    report = verify_chain(db.session, archive.org)
    assert report.altered_records == [emargement.id]
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_retention_periods_are_per_organisation(app, runner):
    archive = make_archive(n_old=1)
    archive.org.retention_years = 10
    db.session.commit()
    result = runner.invoke(args=["retention", "--dry-run"])
    assert "Simulation : 0 stagiaire(s)" in result.output


def test_retention_keeps_the_log_whole_against_anchors_taken_before(app, runner, tmp_path):
    """Anonymising changes records (signatures, a correction's paper sheet): the retention
    entry logs their new digests, so verify passes, and anchors taken before still hold."""
    archive = make_archive(n_old=1)
    composante = db.session.scalars(select(Composante)).first()
    gen_correction(archive.old[0], composante, MARCH_2018.replace(day=5), 60)
    db.session.commit()
    anchors = tmp_path / "anchors.jsonl"
    assert runner.invoke(args=["audit", "anchor", "--out", str(anchors)]).exit_code == 0

    assert runner.invoke(args=["retention"]).exit_code == 0

    result = runner.invoke(args=["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 0, result.output
    assert "chaînes intègres" in result.output


def test_retention_removes_absence_documents_and_reasons_and_keeps_the_justification(app, runner):
    archive = make_archive()
    absent = db.session.scalars(
        select(Emargement).where(Emargement.status == "absent").order_by(Emargement.id)
    ).first()
    db.session.add(
        AbsenceJustification(
            organisation_id=archive.org.id,
            emargement_id=absent.id,
            justification="justified",
            reason_code="maladie",
            document=tiny_pdf(),
            document_type="application/pdf",
            document_sha256="0" * 64,
        )
    )
    db.session.add(
        EmargementRevision(
            organisation_id=archive.org.id,
            emargement_id=absent.id,
            before={"justification": "undecided", "justification_reason": None},
            after={"justification": "justified", "justification_reason": "maladie",
                   "justification_document": "0" * 64},
        )
    )  # fmt: skip
    db.session.commit()

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    row = db.session.scalars(select(AbsenceJustification)).one()
    assert (row.justification, row.reason_code, row.document, row.document_sha256) == (
        "justified",
        None,
        None,
        None,
    )
    revision = db.session.scalars(
        select(EmargementRevision).where(EmargementRevision.emargement_id == absent.id)
    ).all()[-1]
    assert revision.after["justification"] == "justified"
    assert revision.after["justification_reason"] is None
    assert verify_chain(db.session, archive.org).ok
