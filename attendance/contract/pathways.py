"""Operations on pathways (parcours): every write checks R1, R2, R6, R8, R10 and keeps R18's
dated history."""

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.contract.volumes import check_volumes
from attendance.errors import Conflict, RuleViolation
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    Organisation,
    Pathway,
    PathwayEvent,
    PurchaseOrder,
    Slot,
    Trainee,
    User,
)
from attendance.months.lock import ensure_open
from attendance.tenancy import get_owned

_DATE_FIELDS = ("entry_date", "planned_exit_date", "effective_exit_date")


def _check(session: Session, pathway: Pathway, *, volume_grew: bool) -> None:
    composante = pathway.composante
    order = composante.purchase_order
    dispositif = order.dispositif
    rules.check_pathway_hours(
        pathway.prescribed_centre_minutes,
        pathway.prescribed_company_minutes,
        dispositif.max_pathway_minutes,
        dispositif.max_company_minutes,
        dispositif.name,
    )
    rules.check_entry_date(pathway.entry_date, order.planned_start, order.planned_end)
    rules.check_planned_exit(pathway.planned_exit_date, order.planned_end)
    rules.check_pathway_dates(
        pathway.entry_date, pathway.planned_exit_date, pathway.effective_exit_date
    )
    if volume_grew:
        session.flush()
        check_volumes(session, composante)


def refresh_opening_date(session: Session, order: PurchaseOrder) -> None:
    """R8 (FAQ 34): the action's opening date is the first trainee's entry date."""
    session.flush()
    entries = session.scalars(
        select(Pathway.entry_date).join(Composante).where(Composante.purchase_order_id == order.id)
    )
    order.opening_date = rules.opening_date(entries)


def _record(session: Session, pathway: Pathway, kind: str, changes: dict, actor, reason=""):
    session.add(
        PathwayEvent(
            organisation_id=pathway.organisation_id,
            pathway=pathway,
            kind=kind,
            changes=changes,
            reason=reason or "",
            user_id=actor.id if actor is not None else None,
        )
    )


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def create_pathway(
    session: Session, org: Organisation, data: dict, actor: User | None = None
) -> Pathway:
    data = dict(data)
    trainee = get_owned(session, Trainee, data.pop("trainee_id"), org, "stagiaire")
    composante = get_owned(session, Composante, data.pop("composante_id"), org, "composante")
    duplicate = session.scalar(
        select(Pathway.id).where(
            Pathway.trainee_id == trainee.id, Pathway.composante_id == composante.id
        )
    )
    if duplicate:
        raise Conflict(
            "PATHWAY_EXISTS",
            f"{trainee.display_name} a déjà un parcours sur la composante {composante.code}.",
            {"pathway_id": duplicate},
        )
    ensure_open(session, org, composante.purchase_order_id, [data.get("entry_date")])
    pathway = Pathway(organisation_id=org.id, trainee=trainee, composante=composante, **data)
    session.add(pathway)
    _check(session, pathway, volume_grew=True)
    _record(session, pathway, "created", {k: _jsonable(v) for k, v in data.items()}, actor)
    refresh_opening_date(session, composante.purchase_order)
    session.flush()
    return pathway


def update_pathway(
    session: Session,
    org: Organisation,
    pathway: Pathway,
    data: dict,
    actor: User | None = None,
    reason: str = "",
) -> Pathway:
    """R18: moved dates (postponed entry, extension) are recorded with their old values."""
    changes = {
        key: {"from": _jsonable(getattr(pathway, key)), "to": _jsonable(value)}
        for key, value in data.items()
        if getattr(pathway, key) != value
    }
    if not changes:
        return pathway
    # R11: moving a date into or out of a validated month would change its declaration.
    moved_days = [
        day for key in _DATE_FIELDS if key in changes for day in (getattr(pathway, key), data[key])
    ]
    ensure_open(session, org, pathway.composante.purchase_order_id, moved_days)
    grew = any(
        key in changes and data[key] > getattr(pathway, key)
        for key in ("prescribed_centre_minutes", "prescribed_company_minutes")
    )
    for key, value in data.items():
        setattr(pathway, key, value)
    _check(session, pathway, volume_grew=grew)
    kind = "dates_moved" if set(changes) <= set(_DATE_FIELDS) else "updated"
    _record(session, pathway, kind, changes, actor, reason)
    refresh_opening_date(session, pathway.composante.purchase_order)
    session.flush()
    return pathway


def declared_minutes_exist(session: Session, pathway: Pathway) -> bool:
    """Whether any hour was declared for this pathway: a present sign-in or a correction."""
    signed = session.scalar(
        select(
            exists().where(
                Emargement.trainee_id == pathway.trainee_id,
                Emargement.status == "present",
                Emargement.slot_id == Slot.id,
                Slot.composante_id == pathway.composante_id,
            )
        )
    )
    corrected = session.scalar(
        select(
            exists().where(
                Correction.trainee_id == pathway.trainee_id,
                Correction.composante_id == pathway.composante_id,
                Correction.minutes > 0,
            )
        )
    )
    return bool(signed or corrected)


def delete_pathway(session: Session, org: Organisation, pathway: Pathway) -> None:
    """R9 (FAQ 26, 49): a trainee with no hour declared may be deleted; one who attended is
    an abandon instead."""
    if declared_minutes_exist(session, pathway):
        raise RuleViolation(
            "R9_HOURS_DECLARED",
            f"{pathway.trainee.display_name} a déjà des heures déclarées sur cette composante : "
            "le parcours ne peut pas être supprimé. Déclarez un abandon avec la date de sortie.",
            {"pathway_id": pathway.id},
        )
    order = pathway.composante.purchase_order
    session.delete(pathway)
    refresh_opening_date(session, order)
    session.flush()


def abandon_pathway(
    session: Session,
    org: Organisation,
    pathway: Pathway,
    exit_date: date,
    reason: str,
    actor: User | None = None,
) -> Pathway:
    """R9: an abandon is a trainee who attended at least one hour and left."""
    if pathway.status == "abandon":
        raise Conflict("ALREADY_ABANDONED", "Ce parcours est déjà déclaré en abandon.")
    if not declared_minutes_exist(session, pathway):
        raise RuleViolation(
            "R9_NO_HOURS_FOR_ABANDON",
            f"{pathway.trainee.display_name} n'a aucune heure déclarée : ce n'est pas un abandon. "
            "Supprimez le parcours à la place.",
            {"pathway_id": pathway.id},
        )
    rules.check_pathway_dates(pathway.entry_date, pathway.planned_exit_date, exit_date)
    changes = {
        "status": {"from": pathway.status, "to": "abandon"},
        "effective_exit_date": {
            "from": _jsonable(pathway.effective_exit_date),
            "to": exit_date.isoformat(),
        },
    }
    pathway.status = "abandon"
    pathway.effective_exit_date = exit_date
    _record(session, pathway, "abandon", changes, actor, reason)
    session.flush()
    return pathway
