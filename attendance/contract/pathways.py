"""Operations on pathways (parcours): every write checks R1, R2, R6, R8, R10 and keeps R18's
dated history."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.contract import rules
from attendance.contract.volumes import check_volumes
from attendance.errors import Conflict, RuleViolation
from attendance.hours.aggregate import hours_to_date
from attendance.hours.classes import COMPANY, centre_minutes
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
from attendance.months.lock import ensure_open, ensure_open_between, ensure_open_for_pathway
from attendance.tenancy import get_owned

_DATE_FIELDS = ("entry_date", "planned_exit_date", "effective_exit_date")


def _check(session: Session, pathway: Pathway, *, volume_grew: bool) -> None:
    order = pathway.composante.purchase_order
    _check_prescribed(pathway)
    rules.check_entry_date(pathway.entry_date, order.planned_start, order.planned_end)
    rules.check_planned_exit(pathway.planned_exit_date, order.planned_end)
    rules.check_pathway_dates(
        pathway.entry_date, pathway.planned_exit_date, pathway.effective_exit_date
    )
    if volume_grew:
        _check_volume(session, pathway)


def _check_prescribed(pathway: Pathway) -> None:
    """R1 and R2 on the pathway's prescribed hours, with its dispositif's limits."""
    dispositif = pathway.composante.purchase_order.dispositif
    rules.check_pathway_hours(
        pathway.prescribed_centre_minutes,
        pathway.prescribed_company_minutes,
        dispositif.max_pathway_minutes,
        dispositif.max_company_minutes,
        dispositif.name,
    )


def _check_volume(session: Session, pathway: Pathway) -> None:
    """R10 over the BDC, once the pathway's new prescription is flushed."""
    session.flush()
    check_volumes(session, pathway.composante)


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
    # R11: the pathway would be declared in every month from its entry on.
    if data.get("entry_date") is not None:
        ensure_open_between(
            session,
            org,
            composante.purchase_order_id,
            data["entry_date"],
            data.get("effective_exit_date"),
        )
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
    _ensure_months_open(session, org, pathway, data, changes)
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


def _ensure_months_open(
    session: Session, org: Organisation, pathway: Pathway, data: dict, changes: dict
) -> None:
    """R11: a validated month keeps the pathways it declared, as they were.

    The entry and the effective exit decide which months declare the pathway, so every month
    between the old and the new date would change; a planned exit only shows in the months
    it falls in. Prescribed hours are frozen in every month the pathway is declared in.
    """
    purchase_order_id = pathway.composante.purchase_order_id
    for key in ("entry_date", "effective_exit_date"):
        if key in changes:
            first, last = _between(getattr(pathway, key), data[key])
            ensure_open_between(session, org, purchase_order_id, first, last)
    if "planned_exit_date" in changes:
        moved = (pathway.planned_exit_date, data["planned_exit_date"])
        ensure_open(session, org, purchase_order_id, moved)
    if {"prescribed_centre_minutes", "prescribed_company_minutes"} & set(changes):
        ensure_open_for_pathway(session, pathway)


def _between(old: date | None, new: date | None) -> tuple[date, date | None]:
    """The span a date moved across; None is open-ended (no effective exit yet)."""
    if old is None or new is None:
        return old or new, None
    return min(old, new), max(old, new)


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
    an abandon instead. R11: a pathway declared in a validated month stays."""
    ensure_open_for_pathway(session, pathway)
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
    # R11: the months from the exit on would no longer declare the trainee as they were.
    first, last = _between(pathway.effective_exit_date, exit_date)
    ensure_open_between(session, org, pathway.composante.purchase_order_id, first, last)
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


def has_left(pathway: Pathway, today: date) -> bool:
    """A trainee has left a pathway once it is an abandon or completed, or its effective exit
    date has come: only then are their realised hours final."""
    if pathway.status in ("abandon", "completed"):
        return True
    return pathway.effective_exit_date is not None and pathway.effective_exit_date <= today


def _realised(session: Session, org: Organisation, purchase_order_id: int, trainee_id=None):
    """Realised centre and company minutes per (trainee, composante), from the BDC's first
    month through the later of its planned end and today: every hour recorded so far."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    through = clock.first_of_month(max(order.planned_end, clock.today()))
    by_class: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in hours_to_date(session, org, order.id, through, trainee_id=trainee_id):
        by_class[(row.trainee_id, row.composante_id)][row.hour_class] += row.minutes
    return {
        pair: (centre_minutes(classes), classes.get(COMPANY, 0))
        for pair, classes in by_class.items()
    }


def align_prescribed_to_realised(
    session: Session, org: Organisation, pathway: Pathway, actor: User | None = None
) -> Pathway:
    """FAQ 55, the Region's remedy for R10: a departed trainee's prescribed hours come down to
    the hours they realised, which frees the rest of the contracted volume for others.

    Logged in the pathway's history (R18). No validated month is touched: a month's frozen
    declaration holds realised hours, not prescribed ones. Should realised hours exceed the
    prescription, the rise goes through the same checks as an edit (R1, R2, R10)."""
    if not has_left(pathway, clock.today()):
        raise RuleViolation(
            "PATHWAY_NOT_LEFT",
            f"{pathway.trainee.display_name} n'est pas sorti(e) de la composante "
            f"{pathway.composante.code} : ses heures prescrites ne se ramènent aux heures "
            "réalisées qu'après un abandon ou la sortie effective.",
            {"pathway_id": pathway.id},
        )
    realised = _realised(
        session, org, pathway.composante.purchase_order_id, trainee_id=pathway.trainee_id
    )
    centre, company = realised.get((pathway.trainee_id, pathway.composante_id), (0, 0))
    target = {"prescribed_centre_minutes": centre, "prescribed_company_minutes": company}
    changes = {
        key: {"from": getattr(pathway, key), "to": value}
        for key, value in target.items()
        if getattr(pathway, key) != value
    }
    if not changes:
        return pathway
    grew = any(change["to"] > change["from"] for change in changes.values())
    for key, value in target.items():
        setattr(pathway, key, value)
    _check_prescribed(pathway)
    if grew:
        _check_volume(session, pathway)
    _record(
        session,
        pathway,
        "prescribed_aligned",
        changes,
        actor,
        "Heures prescrites ramenées aux heures réalisées (FAQ 55)",
    )
    session.flush()
    return pathway


@dataclass(frozen=True)
class AlignCandidate:
    """A departed trainee whose prescribed hours differ from the realised ones."""

    pathway_id: int
    trainee_name: str
    composante_code: str
    prescribed_centre_minutes: int
    prescribed_company_minutes: int
    realised_centre_minutes: int
    realised_company_minutes: int


def pathways_to_align(
    session: Session, org: Organisation, purchase_order_id: int
) -> list[AlignCandidate]:
    """The BDC's departed trainees whose prescribed hours are not their realised ones: what
    FAQ 55's remedy would change, for the page that offers it."""
    realised = _realised(session, org, purchase_order_id)
    today = clock.today()
    found = []
    for pathway, trainee, composante in session.execute(
        select(Pathway, Trainee, Composante)
        .join(Trainee, Trainee.id == Pathway.trainee_id)
        .join(Composante, Composante.id == Pathway.composante_id)
        .where(
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == purchase_order_id,
            or_(
                Pathway.status.in_(("abandon", "completed")),
                Pathway.effective_exit_date <= today,
            ),
        )
        .order_by(Trainee.last_name, Trainee.first_name, Composante.code)
    ):
        centre, company = realised.get((trainee.id, composante.id), (0, 0))
        prescribed = (pathway.prescribed_centre_minutes, pathway.prescribed_company_minutes)
        if prescribed != (centre, company) and has_left(pathway, today):
            found.append(
                AlignCandidate(
                    pathway.id, trainee.display_name, composante.code, *prescribed, centre, company
                )
            )
    return found
