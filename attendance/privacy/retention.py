"""Retention (DOMAIN "Legal evidence"; GDPR art. 5-1-e): the evidence behind the hours is kept
``Organisation.retention_years`` (6) after the end of training, ``retention_cofinanced_years``
(10) when the BDC is co-financed; after that the trainee's personal data is anonymised.

What goes: names, e-mail, phone, birth date, external id; the phones bound to them,
invitations and kiosk credentials; signature images, network addresses and tutor contact
kept with each sign-in; the paper sheets attached to corrections; names in the frozen
monthly declarations. What stays: every minute (sign-in status, times, late/early minutes,
corrections' minutes), so hours, monthly totals, declarations' totals and issued invoices
(which name no trainee) are unchanged.

The evidence log gets one ``retention`` entry per trainee saying what was removed, with the
new digest of each sign-in and correctif it changed (``records``, ``corrections``):
``verify_chain`` takes those as the records' latest logged state, so an anonymised record
is not reported as altered, while any later edit of it still is. Retention deletes no
record that counts hours; a purge that did would list them (``evidence.deleted``).
Entries already in the log are never rewritten (that would break the chain); they hold
ids and digests, plus the network address of phone sign-ins.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.models import (
    AbsenceJustification,
    Composante,
    Correction,
    Device,
    DeviceBindingRequest,
    Emargement,
    EmargementRevision,
    Invitation,
    KioskCredential,
    MonthDeclaration,
    MonthPeriod,
    Organisation,
    Pathway,
    PurchaseOrder,
    Trainee,
)
from attendance.models.types import utcnow

ANONYMOUS_LAST_NAME = "ANONYME"
PERSONAL_EVIDENCE_KEYS = ("ip", "user_agent", "phone_id", "tutor_name", "tutor_email")


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Candidate:
    """A trainee whose evidence has passed its retention period."""

    trainee_id: int
    name: str
    training_end: date
    years: int
    signatures: int = 0
    devices: int = 0
    invitations: int = 0

    @property
    def kept_until(self) -> date:
        return add_years(self.training_end, self.years)


@dataclass
class RetentionRun:
    candidates: list[Candidate] = field(default_factory=list)
    anonymised: int = 0


def retention_candidates(session: Session, org: Organisation, today: date) -> list[Candidate]:
    """Trainees not yet anonymised whose every pathway ended more than its retention period
    ago (co-financed BDC: the longer period). Without a pathway, the record's creation date
    stands for the end of training."""
    rows = session.execute(
        select(
            Pathway.trainee_id,
            func.coalesce(Pathway.effective_exit_date, Pathway.planned_exit_date),
            PurchaseOrder.co_financed,
        )
        .join(Composante, Composante.id == Pathway.composante_id)
        .join(PurchaseOrder, PurchaseOrder.id == Composante.purchase_order_id)
        .where(Pathway.organisation_id == org.id)
    ).all()
    limits: dict[int, tuple[date, date, int]] = {}  # trainee -> (kept until, end, years)
    for trainee_id, end, co_financed in rows:
        years = org.retention_cofinanced_years if co_financed else org.retention_years
        until = add_years(end, years)
        if trainee_id not in limits or until > limits[trainee_id][0]:
            limits[trainee_id] = (until, end, years)
    trainees = session.scalars(
        select(Trainee)
        .where(Trainee.organisation_id == org.id, Trainee.anonymised_at.is_(None))
        .order_by(Trainee.id)
    ).all()
    found = []
    for trainee in trainees:
        if trainee.id in limits:
            until, end, years = limits[trainee.id]
        else:
            end, years = trainee.created_at.date(), org.retention_years
            until = add_years(end, years)
        if until < today:
            found.append(Candidate(trainee.id, trainee.display_name, end, years))
    _count_what_goes(session, found)
    return found


def _count_what_goes(session: Session, candidates: list[Candidate]) -> None:
    by_id = {c.trainee_id: c for c in candidates}
    if not by_id:
        return
    counts = [
        (
            "signatures",
            select(Emargement.trainee_id, func.count())
            .where(Emargement.trainee_id.in_(by_id), Emargement.signature_png.is_not(None))
            .group_by(Emargement.trainee_id),
        ),
        (
            "devices",
            select(Device.trainee_id, func.count())
            .where(Device.trainee_id.in_(by_id))
            .group_by(Device.trainee_id),
        ),
        (
            "invitations",
            select(Invitation.trainee_id, func.count())
            .where(Invitation.trainee_id.in_(by_id))
            .group_by(Invitation.trainee_id),
        ),
    ]
    for attribute, statement in counts:
        for trainee_id, count in session.execute(statement):
            setattr(by_id[trainee_id], attribute, count)


def _scrub_declarations(session: Session, org: Organisation, trainee: Trainee) -> int:
    """Names in the frozen monthly declarations of the trainee's BDCs; figures untouched."""
    order_ids = (
        select(Composante.purchase_order_id)
        .join(Pathway, Pathway.composante_id == Composante.id)
        .where(Pathway.trainee_id == trainee.id)
    )
    declarations = session.scalars(
        select(MonthDeclaration)
        .join(MonthPeriod, MonthPeriod.id == MonthDeclaration.month_period_id)
        .where(
            MonthDeclaration.organisation_id == org.id,
            MonthPeriod.purchase_order_id.in_(order_ids),
        )
    ).all()
    scrubbed = 0
    identity = {
        "last_name": trainee.last_name,
        "first_name": trainee.first_name,
        "external_id": None,
    }
    for declaration in declarations:
        for attribute in ("rows", "grid"):
            lines = getattr(declaration, attribute) or []
            if not any(line.get("trainee_id") == trainee.id for line in lines):
                continue
            new_lines = []
            for line in lines:
                if line.get("trainee_id") == trainee.id:
                    line = {**line, **{k: v for k, v in identity.items() if k in line}}
                    scrubbed += attribute == "rows"
                new_lines.append(line)
            setattr(declaration, attribute, new_lines)
    return scrubbed


def _without_reasons(state: dict) -> dict:
    """A revision's before/after without the absence's free-text and listed reasons."""
    if not state:
        return {}
    cleared = {"absence_reason": None}
    if "justification_reason" in state:
        cleared |= {"justification_reason": None, "justification_document": None}
    return {**state, **cleared}


def anonymise_trainee(
    session: Session, org: Organisation, candidate: Candidate
) -> dict[str, int] | None:
    """Anonymise one trainee in one transaction under the evidence chain lock; returns what
    was removed (None when another run got there first)."""
    session.commit()
    try:
        evidence.lock_chain(session, org.id)
        trainee = session.get(Trainee, candidate.trainee_id, populate_existing=True)
        if trainee is None or trainee.organisation_id != org.id or trainee.anonymised_at:
            session.rollback()
            return None
        removed = defaultdict(int)
        records: dict[str, str] = {}
        emargements = session.scalars(
            select(Emargement).where(Emargement.trainee_id == trainee.id).order_by(Emargement.id)
        ).all()
        for e in emargements:
            removed["signatures"] += e.signature_png is not None
            before = evidence.record_digest(e)
            e.signature_png = e.ip_address = e.user_agent = e.absence_reason = None
            e.evidence = {
                k: v for k, v in (e.evidence or {}).items() if k not in PERSONAL_EVIDENCE_KEYS
            }
            if evidence.record_digest(e) != before:
                records[str(e.id)] = evidence.record_digest(e)
        for revision in session.scalars(
            select(EmargementRevision)
            .join(Emargement, Emargement.id == EmargementRevision.emargement_id)
            .where(Emargement.trainee_id == trainee.id)
        ):
            revision.before = _without_reasons(revision.before)
            revision.after = _without_reasons(revision.after)
        # An absence's document and reason may be health data (a sick note): they go too;
        # whether the absence was justified stays, like the hours.
        for justification in session.scalars(
            select(AbsenceJustification)
            .join(Emargement, Emargement.id == AbsenceJustification.emargement_id)
            .where(Emargement.trainee_id == trainee.id)
        ):
            removed["absence_documents"] += justification.document_sha256 is not None
            justification.document = justification.document_type = None
            justification.document_sha256 = justification.reason_code = None
        corrections: dict[str, str] = {}
        for correction in session.scalars(
            select(Correction).where(
                Correction.trainee_id == trainee.id, Correction.attachment.is_not(None)
            )
        ):
            correction.attachment = correction.attachment_type = None
            corrections[str(correction.id)] = evidence.correction_digest(correction)
            removed["correction_attachments"] += 1
        for model, key in (
            (KioskCredential, "kiosk_credentials"),
            (DeviceBindingRequest, "binding_requests"),  # each names its device
            (Device, "devices"),  # before invitations: a device names its invitation
            (Invitation, "invitations"),
        ):
            removed[key] = session.execute(
                delete(model).where(model.trainee_id == trainee.id)
            ).rowcount
        trainee.last_name = ANONYMOUS_LAST_NAME
        trainee.first_name = f"n° {trainee.id}"
        trainee.birth_date = trainee.email = trainee.phone = trainee.external_id = None
        trainee.anonymised_at = utcnow()
        removed["declaration_rows"] = _scrub_declarations(session, org, trainee)
        session.flush()
        evidence.append(
            session,
            org.id,
            "retention",
            {
                "trainee_id": trainee.id,
                "training_end": candidate.training_end.isoformat(),
                "retention_years": candidate.years,
                "removed": {
                    "identity": [
                        "last_name",
                        "first_name",
                        "email",
                        "phone",
                        "birth_date",
                        "external_id",
                    ],
                    **removed,
                },
                "records": records,
                "corrections": corrections,
            },
            at=trainee.anonymised_at,
        )
        session.commit()
        return dict(removed)
    except BaseException:
        session.rollback()
        raise


def run_retention(
    session: Session, org: Organisation, today: date, dry_run: bool, progress=None
) -> RetentionRun:
    """``attendance retention``: list (dry run) or anonymise every trainee past the limit."""
    run = RetentionRun(retention_candidates(session, org, today))
    for candidate in run.candidates:
        if not dry_run and anonymise_trainee(session, org, candidate) is not None:
            run.anonymised += 1
        if progress is not None:
            progress(1)
    return run
