"""Operations on slots (séances)."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from attendance.clock import local_day
from attendance.errors import Conflict, DomainError
from attendance.models import (
    Composante,
    DeviceBindingRequest,
    Emargement,
    Organisation,
    Room,
    Slot,
    Trainee,
    User,
)
from attendance.months.lock import ensure_open, ensure_slot_month_open
from attendance.tenancy import get_owned


def _check_slot(session: Session, org: Organisation, slot: Slot) -> None:
    if slot.ends_at <= slot.starts_at:
        raise DomainError(
            "SLOT_END_BEFORE_START",
            "La fin de la séance doit suivre son début : corrigez l'horaire.",
        )
    if slot.kind == "company" and (slot.trainee_id is None or not slot.company_name):
        raise DomainError(
            "COMPANY_SLOT_NEEDS_TRAINEE",
            "Une période en entreprise concerne un stagiaire et une entreprise : "
            "renseignez trainee_id et company_name.",
        )
    if slot.trainer_id is not None:
        trainer = get_owned(session, User, slot.trainer_id, org, "formateur")
        if trainer.role not in ("trainer", "admin"):
            raise DomainError(
                "NOT_A_TRAINER",
                f"{trainer.full_name} n'a pas le rôle formateur.",
                {"trainer_id": trainer.id},
            )
    if slot.trainee_id is not None:
        get_owned(session, Trainee, slot.trainee_id, org, "stagiaire")
    if slot.room_id is not None:
        # ``site`` keeps being the place's name for every reader: the room's site.
        slot.site = get_owned(session, Room, slot.room_id, org, "salle").site.name


def _refuse_if_validated(slot: Slot) -> None:
    if slot.is_validated:
        raise Conflict(
            "SLOT_VALIDATED",
            "Cette séance a été validée par le formateur : elle ne peut plus être modifiée. "
            "Passez par une correction motivée.",
            {"slot_id": slot.id},
        )


def new_slot(session: Session, org: Organisation, data: dict) -> Slot:
    """A slot checked against the contract and the month lock, not yet in the session, so
    the planning checks (``contract.planning``) can look at it before it is saved."""
    data = dict(data)
    composante = get_owned(session, Composante, data.pop("composante_id"), org, "composante")
    slot = Slot(organisation_id=org.id, composante_id=composante.id, **data)
    _check_slot(session, org, slot)
    ensure_open(session, org, composante.purchase_order_id, [local_day(slot.starts_at)])
    return slot


def create_slot(session: Session, org: Organisation, data: dict) -> Slot:
    slot = new_slot(session, org, data)
    session.add(slot)
    session.flush()
    return slot


def update_slot(session: Session, org: Organisation, slot: Slot, data: dict) -> Slot:
    """R11: a slot may neither leave nor enter a validated month (checked before and after).
    The month's lock answers first: it is the lock on the figures, the slot's own validation
    only on its sign-ins."""
    ensure_slot_month_open(session, slot)
    _refuse_if_validated(slot)
    data = dict(data)
    if "composante_id" in data:
        data["composante_id"] = get_owned(
            session, Composante, data["composante_id"], org, "composante"
        ).id
    for key, value in data.items():
        setattr(slot, key, value)
    _check_slot(session, org, slot)
    ensure_slot_month_open(session, slot)
    session.flush()
    return slot


def delete_slot(session: Session, org: Organisation, slot: Slot) -> None:
    ensure_slot_month_open(session, slot)
    _refuse_if_validated(slot)
    signed = session.scalar(
        select(func.count()).select_from(Emargement).where(Emargement.slot_id == slot.id)
    )
    if signed:
        raise Conflict(
            "SLOT_HAS_SIGN_INS",
            f"{signed} émargement(s) existent pour cette séance : elle ne peut pas être supprimée.",
            {"sign_ins": signed},
        )
    # Phones asked to be bound in a slot that never ran: the requests go with it (a bound
    # phone stays bound, its evidence entry names the slot).
    session.execute(delete(DeviceBindingRequest).where(DeviceBindingRequest.slot_id == slot.id))
    session.delete(slot)
    session.flush()
