"""Operations on trainees."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.contract.pathways import delete_pathway
from attendance.errors import Conflict
from attendance.models import (
    Correction,
    Device,
    DeviceBindingRequest,
    Emargement,
    Invitation,
    KioskCredential,
    Organisation,
    Reminder,
    Slot,
    Trainee,
)
from attendance.months.lock import ensure_open_for_trainee


def create_trainee(session: Session, org: Organisation, data: dict) -> Trainee:
    rules.check_boe_aah(data.get("boe", False), data.get("aah", False))
    trainee = Trainee(organisation_id=org.id, **data)
    session.add(trainee)
    session.flush()
    return trainee


def update_trainee(session: Session, org: Organisation, trainee: Trainee, data: dict) -> Trainee:
    rules.check_boe_aah(data.get("boe", trainee.boe), data.get("aah", trainee.aah))
    for key, value in data.items():
        setattr(trainee, key, value)
    session.flush()
    return trainee


def delete_trainee(session: Session, org: Organisation, trainee: Trainee) -> None:
    """R9 (FAQ 26, 49): only a trainee with no hour declared may be deleted; R11: nor one a
    validated month declares. What only served to sign in (phone, invitations, kiosk card,
    reminders) goes with the trainee."""
    ensure_open_for_trainee(session, trainee)
    for pathway in list(trainee.pathways):
        delete_pathway(session, org, pathway)
    _refuse_if_recorded(session, trainee)
    # Binding requests before devices, devices before invitations: each names the next.
    for model in (KioskCredential, DeviceBindingRequest, Device, Invitation, Reminder):
        session.execute(delete(model).where(model.trainee_id == trainee.id))
    session.delete(trainee)
    session.flush()


def _refuse_if_recorded(session: Session, trainee: Trainee) -> None:
    """Sign-ins (absences included), corrections and company slots are attendance records:
    they are kept, so their trainee is too."""
    records = {
        "sign_ins": (Emargement, Emargement.trainee_id),
        "corrections": (Correction, Correction.trainee_id),
        "company_slots": (Slot, Slot.trainee_id),
    }
    found = {
        key: session.scalar(select(func.count()).select_from(model).where(column == trainee.id))
        for key, (model, column) in records.items()
    }
    if any(found.values()):
        raise Conflict(
            "TRAINEE_HAS_RECORDS",
            f"{trainee.display_name} a des traces de présence ({found['sign_ins']} "
            f"émargement(s), {found['corrections']} correctif(s), {found['company_slots']} "
            "période(s) en entreprise) : le stagiaire ne peut pas être supprimé. Renseignez "
            "plutôt la date de sortie effective de son parcours.",
            found,
        )
