"""R12 (FAQ 45) correctif horaire: exceptional, per day for centre hours, per month for company
periods with the paper sheet attached; visible as such in every output."""

from datetime import date

from sqlalchemy.orm import Session

from attendance import evidence
from attendance.errors import DomainError
from attendance.hours.classes import CENTRE_CLASSES, COMPANY
from attendance.models import Composante, Correction, Organisation, Slot, Trainee, User
from attendance.months.lock import ensure_open
from attendance.tenancy import get_owned

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Checked by content, not by name: the first bytes of each accepted format.
_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def attachment_type(content: bytes) -> str:
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise DomainError(
            "ATTACHMENT_TOO_LARGE",
            "La feuille jointe dépasse 5 Mo : numérisez-la en résolution plus basse.",
            {"max_bytes": MAX_ATTACHMENT_BYTES},
            status=413,
        )
    for magic, media_type in _SIGNATURES.items():
        if content.startswith(magic):
            return media_type
    raise DomainError(
        "ATTACHMENT_TYPE",
        "La feuille jointe doit être un PDF, un PNG ou un JPEG (contenu vérifié).",
        status=415,
    )


def create_correction(
    session: Session,
    org: Organisation,
    data: dict,
    actor: User,
    attachment: bytes | None = None,
) -> Correction:
    """R12: a correctif horaire replaces a day's centre hours, or a month's company hours,
    and is accepted only with the paper sheet it comes from (checked by content). It counts
    hours, so it is logged as it is created (``audit verify`` then misses none)."""
    data = dict(data)
    trainee = get_owned(session, Trainee, data.pop("trainee_id"), org, "stagiaire")
    composante = get_owned(session, Composante, data.pop("composante_id"), org, "composante")
    scope, hour_class, day = data["scope"], data["hour_class"], data["day"]
    if scope == "day" and hour_class not in CENTRE_CLASSES:
        raise DomainError(
            "CORRECTION_SCOPE",
            "Un correctif à la journée porte sur des heures centre ; pour l'entreprise, "
            "corrigez le mois avec la feuille papier jointe.",
        )
    if scope == "day" and not attachment:
        raise DomainError(
            "CORRECTION_SHEET_REQUIRED",
            "Joignez la feuille d'émargement papier (PDF ou image) : une correction de "
            "journée en centre n'est acceptée qu'avec sa preuve.",
        )
    if scope == "month":
        if hour_class != COMPANY:
            raise DomainError(
                "CORRECTION_SCOPE",
                "Un correctif mensuel porte sur la période en entreprise ; les heures centre "
                "se corrigent jour par jour.",
            )
        if not attachment:
            raise DomainError(
                "ATTACHMENT_REQUIRED",
                "Joignez la feuille d'émargement papier (PDF ou image) au correctif mensuel.",
            )
        day = date(day.year, day.month, 1)
    media_type = attachment_type(attachment) if attachment else None
    if data.get("slot_id") is not None:
        slot = get_owned(session, Slot, data["slot_id"], org, "séance")
        if slot.composante_id != composante.id:
            raise DomainError("SLOT_MISMATCH", "La séance n'appartient pas à cette composante.")
    ensure_open(session, org, composante.purchase_order_id, [day])
    correction = Correction(
        organisation_id=org.id,
        trainee_id=trainee.id,
        composante_id=composante.id,
        slot_id=data.get("slot_id"),
        scope=scope,
        day=day,
        hour_class=hour_class,
        minutes=data["minutes"],
        reason=data["reason"],
        attachment=attachment,
        attachment_type=media_type,
        validated=True,
        created_by_id=actor.id,
    )
    session.add(correction)
    evidence.log_correction(session, correction, actor.id)
    return correction
