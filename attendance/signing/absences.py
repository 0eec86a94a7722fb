"""Absence justification: an absence is justified, unjustified or not decided yet, with a
reason from one list and, optionally, a supporting document (PDF, PNG or JPEG, judged by
its content). The trainer of the slot and staff allowed to (``absence:justify``) change it
until the month is validated (R11); every change goes to the slot's history and evidence
log, like the roster's other changes (DOMAIN « trainers justify absences with a reason »).
"""

import io
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.accounts import can
from attendance.clock import window
from attendance.errors import DomainError, Forbidden
from attendance.models import (
    JUSTIFICATIONS,
    AbsenceJustification,
    Composante,
    Emargement,
    EmargementRevision,
    Slot,
    Trainee,
    User,
)
from attendance.models.types import utcnow
from attendance.months.lock import slot_month_validated
from attendance.signing.common import can_run_slot, find_emargement, logged_write

# The one list of reasons: stable codes (stored, sent by the API), French labels (shown).
REASONS: dict[str, str] = {
    "maladie": "Maladie",
    "rendez_vous_administratif": "Rendez-vous administratif (France Travail, ex-Pôle emploi…)",
    "entretien_embauche": "Entretien d'embauche",
    "obligation_familiale": "Obligation familiale",
    "transport": "Problème de transport",
    "autre": "Autre motif",
}
JUSTIFICATION_LABELS = {
    "justified": "Justifiée",
    "unjustified": "Non justifiée",
    "undecided": "À statuer",
}
# The billing list's filters, in the plural.
FILTER_LABELS = {
    "justified": "Justifiées",
    "unjustified": "Non justifiées",
    "undecided": "À statuer",
}
FIELDS = ("justification", "justification_reason")

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 10000  # beyond this, a decompression bomb rather than a scan or a photo
DOCUMENT_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
_IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def reason_label(code: str | None) -> str | None:
    return REASONS.get(code) if code else None


def _invalid_document(message: str, status: int = 415, **details) -> DomainError:
    return DomainError(
        "ABSENCE_DOCUMENT_INVALID", f"Justificatif refusé : {message}", details, status=status
    )


def _is_pdf(content: bytes) -> bool:
    """A PDF starts with its version header and ends with ``%%EOF`` (ISO 32000 §7.5), with
    at least one object between: a text file renamed « .pdf » has neither."""
    return (
        content.startswith((b"%PDF-1.", b"%PDF-2."))
        and b"%%EOF" in content[-1024:]
        and b" obj" in content
    )


def _image_type(content: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in _IMAGE_TYPES or max(image.size) > MAX_IMAGE_SIDE:
                return None
            image.verify()
            return _IMAGE_TYPES[image.format]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def document_type(content: bytes | None) -> str:
    """The media type of an uploaded supporting document, judged by its content (never its
    name or declared type); kept as sent, since it is evidence."""
    if not content:
        raise _invalid_document("aucun fichier reçu (le fichier est vide).", status=422)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise _invalid_document(
            "le fichier dépasse 5 Mo : numérisez-le en résolution plus basse.",
            status=413,
            max_bytes=MAX_DOCUMENT_BYTES,
        )
    if _is_pdf(content):
        return "application/pdf"
    media_type = _image_type(content)
    if media_type is None:
        raise _invalid_document(
            "le fichier doit être un PDF, une image PNG ou JPEG (contenu "
            "vérifié, pas seulement le nom)."
        )
    return media_type


def can_justify(user: User, slot: Slot) -> bool:
    return can_run_slot(user, slot) or can(user, "absence:justify")


def closed(session: Session, slot: Slot) -> bool:
    """Justifications stay editable until the slot's month is validated (R11)."""
    return slot_month_validated(session, slot)


def can_read_documents(user: User, slot: Slot) -> bool:
    return can_run_slot(user, slot) or can(user, "absence:read")


def _check_values(changes: dict) -> dict:
    changes = {k: changes[k] for k in FIELDS if k in changes}
    if changes.get("justification", "undecided") not in JUSTIFICATIONS:
        raise DomainError(
            "INVALID_JUSTIFICATION",
            "Justification attendue : justified, unjustified ou undecided.",
            {"field": "justification"},
            status=422,
        )
    if changes.get("justification_reason") not in (None, *REASONS):
        raise DomainError(
            "INVALID_ABSENCE_REASON",
            "Motif d'absence inconnu : choisissez-le dans la liste.",
            {"field": "justification_reason", "choices": list(REASONS)},
            status=422,
        )
    return changes


def _state(row: AbsenceJustification | None) -> dict:
    """What the history keeps of a justification (never the document, only its digest)."""
    if row is None:
        return {
            "justification": "undecided",
            "justification_reason": None,
            "justification_document": None,
        }
    return {
        "justification": row.justification,
        "justification_reason": row.reason_code,
        "justification_document": row.document_sha256,
    }


def _merged(before: dict, changes: dict, document_sha: str | None) -> dict:
    after = {**before, **changes}
    if document_sha is not None:
        after["justification_document"] = document_sha
    return after


def _refuse_incomplete(after: dict) -> None:
    if after["justification"] == "justified" and not after["justification_reason"]:
        raise DomainError(
            "ABSENCE_REASON_REQUIRED",
            "Une absence justifiée indique son motif : choisissez-le dans la liste.",
            {"field": "justification_reason"},
            status=422,
        )


def check(
    session: Session,
    slot: Slot,
    trainee: Trainee,
    user: User,
    changes: dict,
    status: str | None = None,
    document: bytes | None = None,
) -> dict:
    """Everything that can refuse a justification, before anything is written: who asks,
    the values, the document, and that the line is (or is being marked) an absence.
    ``status``: the status the same request sets. Returns the cleaned changes."""
    if not can_justify(user, slot):
        raise Forbidden(
            "Seul le formateur de la séance ou le personnel habilité peut justifier une absence."
        )
    changes = _check_values(changes)
    if document is not None:
        document_type(document)
    emargement = find_emargement(session, slot.id, trainee.id)
    if (status or (emargement.status if emargement else None)) != "absent":
        raise DomainError(
            "NOT_ABSENT",
            "Seule une absence se justifie : marquez d'abord le stagiaire absent.",
            {"trainee_id": trainee.id},
            status=422,
        )
    row = _row(session, emargement.id) if emargement else None
    sha = evidence.sha256_hex(document) if document is not None else None
    _refuse_incomplete(_merged(_state(row), changes, sha))
    return changes


def _row(session: Session, emargement_id: int) -> AbsenceJustification | None:
    return session.scalar(
        select(AbsenceJustification).where(AbsenceJustification.emargement_id == emargement_id)
    )


def justify(
    session: Session,
    slot: Slot,
    trainee: Trainee,
    user: User,
    changes: dict,
    document: bytes | None = None,
) -> AbsenceJustification:
    """Record the justification (and the document, if one is given) of an absence. Refused
    once the month is validated (409 MONTH_VALIDATED, re-checked under the slot's chain
    lock); a validated slot is no obstacle: justifying changes no hour."""
    changes = check(session, slot, trainee, user, changes, document=document)
    media_type = document_type(document) if document is not None else None
    org_id, slot_id, trainee_id, user_id = slot.organisation_id, slot.id, trainee.id, user.id
    now = utcnow()

    def write() -> AbsenceJustification:
        emargement = find_emargement(session, slot_id, trainee_id)
        if emargement is None or emargement.status != "absent":
            raise DomainError("NOT_ABSENT", "Seule une absence se justifie.", status=422)
        row = _row(session, emargement.id)
        before = _state(row)
        if row is None:
            row = AbsenceJustification(organisation_id=org_id, emargement_id=emargement.id)
            session.add(row)
        if "justification" in changes:
            row.justification = changes["justification"]
        if "justification_reason" in changes:
            row.reason_code = changes["justification_reason"]
        if document is not None:
            row.document, row.document_type = document, media_type
            row.document_sha256 = evidence.sha256_hex(document)
        row.justification = row.justification or "undecided"
        row.updated_by_id, row.updated_at = user_id, now
        session.flush()
        _log(session, row, emargement, before, user_id, now)
        return row

    return logged_write(session, org_id, slot_id, write, check_validated=False)


def remove_document(
    session: Session, slot: Slot, trainee: Trainee, user: User
) -> AbsenceJustification:
    """Take back a document sent by mistake; the history keeps that one was sent."""
    if not can_justify(user, slot):
        raise Forbidden()
    org_id, slot_id, trainee_id, user_id = slot.organisation_id, slot.id, trainee.id, user.id
    now = utcnow()

    def write() -> AbsenceJustification:
        emargement = find_emargement(session, slot_id, trainee_id)
        row = _row(session, emargement.id) if emargement else None
        if row is None or row.document_sha256 is None:
            raise DomainError("NO_ABSENCE_DOCUMENT", "Aucun justificatif à retirer.", status=404)
        before = _state(row)
        row.document = row.document_type = row.document_sha256 = None
        row.updated_by_id, row.updated_at = user_id, now
        session.flush()
        _log(session, row, emargement, before, user_id, now)
        return row

    return logged_write(session, org_id, slot_id, write, check_validated=False)


def _log(session, row, emargement, before, user_id, now) -> None:
    after = _state(row)
    if after == before:
        return
    session.add(
        EmargementRevision(
            organisation_id=row.organisation_id,
            emargement_id=emargement.id,
            changed_by_id=user_id,
            changed_at=now,
            before=before,
            after=after,
        )
    )
    evidence.append(
        session,
        row.organisation_id,
        "absence_justification",
        {
            "emargement_id": emargement.id,
            "slot_id": emargement.slot_id,
            "trainee_id": emargement.trainee_id,
            "by": user_id,
            "changes": {k: v for k, v in after.items() if before.get(k) != v},
        },
        at=now,
        chain=evidence.slot_chain(emargement.slot_id),
    )


def change_lines(before: dict, after: dict) -> list[str]:
    """A justification change in the roster history's words (« Absence justifiée : maladie »)."""
    lines = []
    if "justification" in after and (
        before.get("justification", "undecided") != after["justification"]
        or before.get("justification_reason") != after.get("justification_reason")
    ):
        reason = reason_label(after.get("justification_reason"))
        word = {"justified": "Absence justifiée", "unjustified": "Absence non justifiée"}.get(
            after["justification"], "Justification de l'absence : à statuer"
        )
        lines.append(f"{word} : {reason.lower()}" if reason else word)
    if before.get("justification_document") != after.get("justification_document"):
        if after.get("justification_document") is None:
            lines.append("Justificatif retiré")
        elif before.get("justification_document"):
            lines.append("Justificatif remplacé")
        else:
            lines.append("Justificatif joint")
    return lines


def for_emargements(session: Session, ids: list[int]) -> dict[int, AbsenceJustification]:
    """The justifications of these sign-ins, by emargement id (one statement)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(AbsenceJustification).where(AbsenceJustification.emargement_id.in_(ids))
    )
    return {row.emargement_id: row for row in rows}


@dataclass(frozen=True)
class Absence:
    """One absence of a month, as the billing list and the attestation show it."""

    emargement_id: int
    slot_id: int
    trainee_id: int
    trainee_name: str
    starts_at: datetime
    ends_at: datetime
    slot_title: str | None
    justification: str
    reason_code: str | None
    note: str | None
    document_type: str | None

    @property
    def justification_label(self) -> str:
        return JUSTIFICATION_LABELS[self.justification]

    @property
    def reason(self) -> str | None:
        return reason_label(self.reason_code)


def absences_in_month(
    session: Session,
    organisation_id: int,
    purchase_order_id: int,
    month: date,
    justification: str | None = None,
    trainee_id: int | None = None,
) -> list[Absence]:
    """The BDC's absences in ``month``, by date then trainee; ``justification`` filters on
    « justified », « unjustified » or « undecided » (no decision recorded counts as that)."""
    J = AbsenceJustification
    statement = (
        select(
            Emargement.id,
            Slot.id,
            Trainee.id,
            Trainee.last_name,
            Trainee.first_name,
            Slot.starts_at,
            Slot.ends_at,
            Slot.title,
            J.justification,
            J.reason_code,
            Emargement.absence_reason,
            J.document_type,
        )
        .join(Slot, Slot.id == Emargement.slot_id)
        .join(Composante, Composante.id == Slot.composante_id)
        .join(Trainee, Trainee.id == Emargement.trainee_id)
        .outerjoin(J, J.emargement_id == Emargement.id)
        .where(
            Emargement.organisation_id == organisation_id,
            Emargement.status == "absent",
            Composante.purchase_order_id == purchase_order_id,
            window(month).holds(Slot.starts_at),
        )
        .order_by(Slot.starts_at, Trainee.last_name, Trainee.first_name, Trainee.id)
    )
    if trainee_id is not None:
        statement = statement.where(Emargement.trainee_id == trainee_id)
    if justification == "undecided":
        statement = statement.where(or_(J.id.is_(None), J.justification == "undecided"))
    elif justification is not None:
        statement = statement.where(J.justification == justification)
    return [
        Absence(
            e_id,
            s_id,
            t_id,
            f"{last.upper()} {first}",
            start,
            end,
            title,
            state or "undecided",
            reason,
            note,
            media,
        )
        for (
            e_id,
            s_id,
            t_id,
            last,
            first,
            start,
            end,
            title,
            state,
            reason,
            note,
            media,
        ) in session.execute(statement)
    ]


def document_of(session: Session, user: User, emargement: Emargement) -> tuple[bytes, str, str]:
    """The supporting document as (content, media type, file name), for who may read it."""
    if not can_read_documents(user, emargement.slot):
        raise Forbidden()
    row = _row(session, emargement.id)
    if row is None or row.document is None:
        raise DomainError(
            "NO_ABSENCE_DOCUMENT", "Aucun justificatif pour cette absence.", status=404
        )
    extension = DOCUMENT_EXTENSIONS.get(row.document_type, "bin")
    return row.document, row.document_type, f"justificatif_{emargement.id}.{extension}"
