"""The trainer's live roster: who signed, who did not, fraud signals; marking absences,
late arrivals and early departures; validating (and so locking) the slot; and, after that,
corrections with a reason, kept in history. Every change goes to the evidence log."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.errors import Conflict, DomainError, Forbidden
from attendance.models import (
    UNSIGNED_METHODS,
    AbsenceJustification,
    Device,
    Emargement,
    EmargementRevision,
    Slot,
    Trainee,
    User,
)
from attendance.models.types import utcnow
from attendance.signing import absences
from attendance.signing.common import (
    can_run_slot,
    expected_trainees,
    find_emargement,
    logged_write,
    refuse_if_validated,
)
from attendance.signing.signature import decode_signature
from attendance.signing.window import signin_window

SIGNAL_LABELS = {
    "shared_phone": "un même téléphone a signé pour plusieurs stagiaires",
    "outside_window": "signature hors du créneau de la séance",
    "foreign_device": "signé depuis un appareil qui n'est pas celui du stagiaire",
    "not_enrolled": "stagiaire non inscrit à cette séance",
}

CORRECTION_LABEL = "Présence saisie par le formateur — correction"
STATE_LABELS = {
    "signed": "Signé",
    "declared": "Présence déclarée par le formateur",
    "absent": "Absent",
    "unsigned": "Non signé",
    "to_confirm": "À confirmer",
}
STATUS_WORDS = {"present": "présent", "absent": "absent", None: "—"}
MINUTE_FIELDS = {"late_minutes": "Retard", "early_leave_minutes": "Départ anticipé"}


def _minutes(value) -> str:
    return f"{value or 0} min"


def change_lines(before: dict, after: dict) -> list[str]:
    """A revision in the words a trainer reads (« Retard : 15 min », « Statut : absent →
    présent »), never the stored field names and values."""
    lines = []
    if before.get("status") != after.get("status"):
        old, new = STATUS_WORDS.get(before.get("status")), STATUS_WORDS.get(after.get("status"))
        lines.append(f"Statut : {old} → {new}" if before.get("status") else f"Statut : {new}")
    for field_name, label in MINUTE_FIELDS.items():
        old, new = before.get(field_name) or 0, after.get(field_name) or 0
        if old != new:
            was = "" if not old else f"{_minutes(old)} → "
            lines.append(f"{label} : {was}{_minutes(new)}")
    if bool(before.get("confirmed")) != bool(after.get("confirmed")) and "confirmed" in after:
        lines.append("Présence confirmée" if after.get("confirmed") else "Confirmation retirée")
    if before.get("absence_reason") != after.get("absence_reason") and after.get("absence_reason"):
        lines.append(f"Motif d'absence : {after['absence_reason']}")
    return lines + absences.change_lines(before, after)


@dataclass
class RosterLine:
    trainee: Trainee
    emargement: Emargement | None
    signals: list[str] = field(default_factory=list)
    justification: AbsenceJustification | None = None

    @property
    def state(self) -> str:
        if self.emargement is None:
            return "unsigned"
        if self.emargement.status == "absent":
            return "absent"
        if not self.emargement.confirmed:
            return "to_confirm"
        if signed_method(self.emargement) in UNSIGNED_METHODS:
            return "declared"  # no signature, no time: the trainer's word, and said so
        return "signed"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def correction_label(self) -> str | None:
        """R12: a presence no trainee signed for (marked by the trainer, or changed after
        validation) is a correction, and the roster says so."""
        e = self.emargement
        if e is None or e.status != "present" or e.method not in UNSIGNED_METHODS:
            return None
        return CORRECTION_LABEL


def signed_method(emargement: Emargement) -> str:
    """How the trainee signed, even once a correction after validation took the record over
    (``method`` is then "correction", the signing method kept in its evidence)."""
    return (emargement.evidence or {}).get("signed_method", emargement.method)


def fraud_signals(
    session: Session, slot: Slot, emargements: list[Emargement]
) -> dict[int, list[str]]:
    """Per emargement id, what the trainer should look at (DOMAIN "Security notes")."""
    signals: dict[int, list[str]] = {e.id: [] for e in emargements}
    window = signin_window(slot)  # rows stored before the window was enforced
    by_phone: dict[str, set[int]] = {}
    for e in emargements:
        phone = (e.evidence or {}).get("phone_id")
        if phone and signed_method(e) != "kiosk":
            by_phone.setdefault(phone, set()).add(e.trainee_id)
    device_ids = [e.device_id for e in emargements if e.device_id]
    devices = (
        {
            d.public_id: d
            for d in session.scalars(select(Device).where(Device.public_id.in_(device_ids)))
        }
        if device_ids
        else {}
    )
    for e in emargements:
        if signed_method(e) in UNSIGNED_METHODS or e.signed_at is None:
            continue
        phone = (e.evidence or {}).get("phone_id")
        if phone and len(by_phone.get(phone, ())) > 1 and signed_method(e) != "kiosk":
            signals[e.id].append("shared_phone")
        if slot.kind != "company" and not window.contains(e.signed_at):
            signals[e.id].append("outside_window")
        device = devices.get(e.device_id)
        if device is not None and device.trainee_id != e.trainee_id:
            signals[e.id].append("foreign_device")
    return signals


def roster(session: Session, slot: Slot) -> list[RosterLine]:
    emargements = session.scalars(select(Emargement).where(Emargement.slot_id == slot.id)).all()
    by_trainee = {e.trainee_id: e for e in emargements}
    signals = fraud_signals(session, slot, list(emargements))
    lines = []
    expected = expected_trainees(session, slot)
    for trainee in expected:
        e = by_trainee.pop(trainee.id, None)
        lines.append(RosterLine(trainee, e, signals.get(e.id, []) if e else []))
    for e in by_trainee.values():  # signed but no longer expected (pathway changed)
        lines.append(RosterLine(e.trainee, e, [*signals.get(e.id, []), "not_enrolled"]))
    justified = absences.for_emargements(
        session, [e.id for e in emargements if e.status == "absent"]
    )
    for line in lines:
        if line.emargement is not None:
            line.justification = justified.get(line.emargement.id)
    return lines


def require_runner(user: User, slot: Slot) -> None:
    if not can_run_slot(user, slot):
        raise Forbidden("Seul le formateur de la séance (ou un administrateur) peut faire cela.")


CHANGEABLE = ("status", "late_minutes", "early_leave_minutes", "confirmed", "absence_reason")


def _check_changes(slot: Slot, changes: dict) -> dict:
    changes = {k: v for k, v in changes.items() if k in CHANGEABLE and v is not None}
    if changes.get("status") not in (None, "present", "absent"):
        raise DomainError("INVALID_STATUS", "Statut attendu : present ou absent.", status=422)
    for key in ("late_minutes", "early_leave_minutes"):
        if key in changes and not 0 <= int(changes[key]) <= slot.scheduled_minutes:
            raise DomainError(
                "MINUTES_OUT_OF_RANGE",
                f"Les minutes de retard ou de départ anticipé vont de 0 à "
                f"{slot.scheduled_minutes} (durée de la séance).",
                {"field": key},
                status=422,
            )
    if (
        changes.get("late_minutes", 0) + changes.get("early_leave_minutes", 0)
        > slot.scheduled_minutes
    ):
        raise DomainError(
            "MINUTES_OUT_OF_RANGE",
            "Retard et départ anticipé dépassent la durée de la séance.",
            status=422,
        )
    if "confirmed" in changes and slot.kind != "autoformation":
        changes.pop("confirmed")
    return changes


def _apply(
    session: Session,
    slot: Slot,
    trainee: Trainee,
    user: User,
    changes: dict,
    reason: str | None,
    correction: bool,
) -> Emargement:
    org_id, slot_id, trainee_id, user_id = slot.organisation_id, slot.id, trainee.id, user.id
    now = utcnow()

    def write() -> Emargement:
        emargement = find_emargement(session, slot_id, trainee_id)
        before = evidence.emargement_state(emargement) if emargement else {}
        if emargement is None:
            emargement = Emargement(
                organisation_id=org_id,
                slot_id=slot_id,
                trainee_id=trainee_id,
                status="absent",
                method="correction" if correction else "trainer",
                signed_at=None,
                evidence={"recorded_by": user_id},
            )
            session.add(emargement)
        for key, value in changes.items():
            setattr(emargement, key, value)
        if emargement.status == "absent":
            emargement.late_minutes = emargement.early_leave_minutes = 0
        if correction:
            # R12: after validation the trainee's signature no longer vouches for the record,
            # so its hours count as a correction; the method it was signed with stays known.
            signed = (
                {}
                if emargement.method in UNSIGNED_METHODS
                else {"signed_method": emargement.method}
            )
            emargement.evidence = {**(emargement.evidence or {}), **signed, "corrected": True}
            emargement.method = "correction"
        session.flush()
        after = evidence.emargement_state(emargement)
        session.add(
            EmargementRevision(
                organisation_id=org_id,
                emargement_id=emargement.id,
                changed_by_id=user_id,
                changed_at=now,
                is_correction=correction,
                reason=reason,
                before=before,
                after=after,
            )
        )
        evidence.append(
            session,
            org_id,
            "correction" if correction else "roster_change",
            {
                "emargement_id": emargement.id,
                "slot_id": slot_id,
                "trainee_id": trainee_id,
                "by": user_id,
                "reason": reason,
                "changes": {k: after[k] for k in changes},
                "record_sha256": evidence.record_digest(emargement),
            },
            at=now,
            chain=evidence.slot_chain(slot_id),
        )
        return emargement

    return logged_write(session, org_id, slot_id, write, check_validated=not correction)


def _expected_or_signed(session: Session, slot: Slot, trainee: Trainee) -> None:
    if trainee.organisation_id != slot.organisation_id:
        raise DomainError("NOT_FOUND", "Stagiaire introuvable.", status=404)
    if find_emargement(session, slot.id, trainee.id) is None and trainee.id not in {
        t.id for t in expected_trainees(session, slot)
    }:
        raise DomainError(
            "NOT_ENROLLED",
            "Ce stagiaire n'est pas inscrit à cette séance.",
            {"trainee_id": trainee.id},
            status=422,
        )


def mark(session: Session, slot: Slot, trainee: Trainee, user: User, changes: dict) -> Emargement:
    """Before validation: the trainer records absent, late or left early (minutes), or
    confirms an autoformation declaration."""
    require_runner(user, slot)
    refuse_if_validated(slot.id, slot.validated_at)
    _expected_or_signed(session, slot, trainee)
    changes = _check_changes(slot, changes)
    if not changes:
        raise DomainError("NOTHING_TO_CHANGE", "Aucune modification demandée.", status=422)
    return _apply(session, slot, trainee, user, changes, changes.get("absence_reason"), False)


def update_line(
    session: Session,
    slot: Slot,
    trainee: Trainee,
    user: User,
    changes: dict,
    document: bytes | None = None,
) -> None:
    """One roster line's change: marks (``mark``, before validation) and the absence's
    justification (``absences.justify``, until the month is validated). The justification
    is checked first, so a refused request changes nothing."""
    justification = {k: changes[k] for k in absences.FIELDS if k in changes}
    marks = {k: v for k, v in changes.items() if k not in absences.FIELDS and v is not None}
    justifying = bool(justification) or document is not None
    if justifying:
        absences.check(session, slot, trainee, user, justification, marks.get("status"), document)
    if marks or not justifying:
        mark(session, slot, trainee, user, marks)
    if justifying:
        absences.justify(session, slot, trainee, user, justification, document)


def correct(
    session: Session, slot: Slot, trainee: Trainee, user: User, changes: dict, reason: str | None
) -> Emargement:
    """After validation, the only way to change a sign-in: a correction with its reason
    (R12: exceptional, visible as such), kept in the revision history and the log."""
    require_runner(user, slot)
    if slot.validated_at is None:
        raise Conflict(
            "SLOT_NOT_VALIDATED",
            "La séance n'est pas encore validée : modifiez directement la feuille de présence.",
        )
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(
            "CORRECTION_REASON_REQUIRED",
            "Indiquez le motif de la correction (au moins 5 caractères).",
            status=422,
        )
    _expected_or_signed(session, slot, trainee)
    changes = _check_changes(slot, changes)
    if not changes:
        raise DomainError("NOTHING_TO_CHANGE", "Aucune modification demandée.", status=422)
    return _apply(session, slot, trainee, user, changes, reason[:1000], True)


def validate_slot(session: Session, slot: Slot, user: User, signature: str | None) -> Slot:
    """The trainer signs and validates: trainees who did not sign are recorded absent, and
    the slot is locked (later changes only through ``correct``)."""
    require_runner(user, slot)
    refuse_if_validated(slot.id, slot.validated_at)
    png = decode_signature(signature)
    org_id, slot_id, user_id = slot.organisation_id, slot.id, user.id
    now = utcnow()

    def write() -> Slot:
        locked = session.get(Slot, slot_id)
        # Under the chain lock, so a trainee signing at this very moment is not marked absent.
        missing = [
            t.id
            for t in expected_trainees(session, locked)
            if find_emargement(session, slot_id, t.id) is None
        ]
        for trainee_id in missing:
            session.add(
                Emargement(
                    organisation_id=org_id,
                    slot_id=slot_id,
                    trainee_id=trainee_id,
                    status="absent",
                    method="trainer",
                    evidence={"recorded_by": user_id, "at_validation": True},
                )
            )
        session.flush()
        locked.validated_at, locked.validated_by_id = now, user_id
        locked.trainer_signature_png = png
        records = session.scalars(
            select(Emargement).where(Emargement.slot_id == slot_id).order_by(Emargement.id)
        ).all()
        for e in records:
            if e.trainee_id in missing:
                evidence.append(
                    session,
                    org_id,
                    "absent_at_validation",
                    {
                        "emargement_id": e.id,
                        "slot_id": slot_id,
                        "trainee_id": e.trainee_id,
                        "record_sha256": evidence.record_digest(e),
                    },
                    at=now,
                    chain=evidence.slot_chain(slot_id),
                )
        evidence.append(
            session,
            org_id,
            "validation",
            {
                "slot_id": slot_id,
                "by": user_id,
                "trainer_signature_sha256": evidence.sha256_hex(png),
                "records": {str(e.id): evidence.record_digest(e) for e in records},
            },
            at=now,
            chain=evidence.slot_chain(slot_id),
        )
        return locked

    return logged_write(session, org_id, slot_id, write)


def revisions(session: Session, slot: Slot) -> list[EmargementRevision]:
    return list(
        session.scalars(
            select(EmargementRevision)
            .join(Emargement)
            .where(Emargement.slot_id == slot.id)
            .order_by(EmargementRevision.id)
        )
    )
