"""R11 (FAQ 44): a validated month is locked. Every write that would change a month's
declaration asks here first, whatever path it comes from (API, pages, CLI, sign-in)."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.clock import local_day
from attendance.errors import Conflict
from attendance.french import month_fr as month_label
from attendance.models import Composante, MonthPeriod, Organisation, Slot


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
    if not months:
        return
    org_id = org if isinstance(org, int) else org.id
    periods = session.execute(
        select(MonthPeriod.month, MonthPeriod.state)
        .where(
            MonthPeriod.organisation_id == org_id,
            MonthPeriod.purchase_order_id == purchase_order_id,
            MonthPeriod.month.in_(months),
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


def ensure_slot_month_open(session: Session, slot: Slot) -> None:
    """The sign-in paths' check: a slot's sign-ins belong to the month the slot starts in."""
    purchase_order_id = session.scalar(
        select(Composante.purchase_order_id).where(Composante.id == slot.composante_id)
    )
    ensure_open(session, slot.organisation_id, purchase_order_id, [local_day(slot.starts_at)])
