"""R11 (FAQ 44): a validated month is locked. Every write that would change a month's
declaration asks here first, whatever path it comes from (API, pages, CLI, sign-in)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, select, true
from sqlalchemy.orm import Session

from attendance.clock import local_day
from attendance.errors import Conflict
from attendance.french import month_fr as month_label
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    MonthPeriod,
    Organisation,
    Pathway,
    Slot,
    Trainee,
)


def ensure_open(
    session: Session,
    org: Organisation | int,
    purchase_order_id: int,
    days: Iterable[date | None],
) -> None:
    """Refuse (409 MONTH_VALIDATED) when any of ``days`` falls in a validated month of the BDC;
    ``org`` is the organisation or its id.

    The month rows are read FOR SHARE (PostgreSQL; SQLite serialises writers anyway) and
    whatever their state: a validation in progress holds its row FOR UPDATE, so this write
    waits for it and then sees « validated », instead of slipping into a month being locked.
    """
    months = {day.replace(day=1) for day in days if day is not None}
    if months:
        _refuse_validated(session, org, purchase_order_id, MonthPeriod.month.in_(months))


def ensure_open_between(
    session: Session,
    org: Organisation | int,
    purchase_order_id: int,
    first: date,
    last: date | None,
) -> None:
    """Refuse when a validated month of the BDC lies anywhere from ``first`` to ``last``
    (open-ended when ``last`` is None): moving a pathway's entry from February to April takes
    it out of March even though neither date is in March."""
    span = MonthPeriod.month >= first.replace(day=1)
    if last is not None:
        span = and_(span, MonthPeriod.month <= last.replace(day=1))
    _refuse_validated(session, org, purchase_order_id, span)


def ensure_open_for_pathway(session: Session, pathway: Pathway) -> None:
    """A pathway is declared in every month it is open in, from its entry to its effective
    exit (``declaration._pathways``): deleting it, or changing what it declares, touches each."""
    ensure_open_between(
        session,
        pathway.organisation_id,
        pathway.composante.purchase_order_id,
        pathway.entry_date,
        pathway.effective_exit_date,
    )


def ensure_open_for_trainee(session: Session, trainee: Trainee) -> None:
    """Refuse when the trainee is declared in a validated month: through a pathway, a sign-in
    (absences count: the declaration shows them), a company slot or a correction."""
    for pathway in trainee.pathways:
        ensure_open_for_pathway(session, pathway)
    slots = (
        select(Composante.purchase_order_id, Slot.starts_at)
        .join(Slot, Slot.composante_id == Composante.id)
        .where(Slot.organisation_id == trainee.organisation_id)
    )
    signed = slots.join(Emargement, Emargement.slot_id == Slot.id).where(
        Emargement.trainee_id == trainee.id
    )
    company = slots.where(Slot.trainee_id == trainee.id)
    corrected = (
        select(Composante.purchase_order_id, Correction.day)
        .join(Correction, Correction.composante_id == Composante.id)
        .where(Correction.trainee_id == trainee.id)
    )
    days: dict[int, set[date]] = defaultdict(set)
    for statement in (signed, company):
        for purchase_order_id, starts_at in session.execute(statement):
            days[purchase_order_id].add(local_day(starts_at))
    for purchase_order_id, day in session.execute(corrected):
        days[purchase_order_id].add(day)
    for purchase_order_id, found in sorted(days.items()):
        ensure_open(session, trainee.organisation_id, purchase_order_id, found)


def ensure_no_validated_month(
    session: Session, org: Organisation | int, purchase_order_id: int
) -> None:
    """Refuse a change to the whole BDC (its mode sets the caps) once one month is validated."""
    _refuse_validated(session, org, purchase_order_id, true())


def _refuse_validated(
    session: Session, org: Organisation | int, purchase_order_id: int, which
) -> None:
    org_id = org if isinstance(org, int) else org.id
    periods = session.execute(
        select(MonthPeriod.month, MonthPeriod.state)
        .where(
            MonthPeriod.organisation_id == org_id,
            MonthPeriod.purchase_order_id == purchase_order_id,
            which,
        )
        .with_for_update(read=True)
    ).all()
    locked = [month for month, state in periods if state == "validated"]
    if locked:
        raise month_validated(min(locked), purchase_order_id)


def month_validated(month: date, purchase_order_id: int) -> Conflict:
    return Conflict(
        "MONTH_VALIDATED",
        f"Le mois de {month_label(month)} est validé pour ce bon de commande : il ne peut "
        "plus être modifié. Un administrateur peut le rouvrir en indiquant un motif.",
        {"month": f"{month:%Y-%m}", "purchase_order_id": purchase_order_id},
    )


def _slot_purchase_order(session: Session, slot: Slot) -> int:
    return session.scalar(
        select(Composante.purchase_order_id).where(Composante.id == slot.composante_id)
    )


def ensure_slot_month_open(session: Session, slot: Slot) -> None:
    """The sign-in paths' check: a slot's sign-ins belong to the month the slot starts in."""
    purchase_order_id = _slot_purchase_order(session, slot)
    ensure_open(session, slot.organisation_id, purchase_order_id, [local_day(slot.starts_at)])


def slot_month_validated(session: Session, slot: Slot) -> bool:
    """Whether the month the slot starts in is validated for its BDC, read for a page (no
    lock): a page shows what is closed instead of a form whose every save would answer
    409. The write itself is still refused by ``ensure_open``."""
    state = session.scalar(
        select(MonthPeriod.state).where(
            MonthPeriod.organisation_id == slot.organisation_id,
            MonthPeriod.purchase_order_id == _slot_purchase_order(session, slot),
            MonthPeriod.month == local_day(slot.starts_at).replace(day=1),
        )
    )
    return state == "validated"
