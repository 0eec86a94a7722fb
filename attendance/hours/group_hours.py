"""R5 (CCTP §3.3 « Paiement de la formation »): Occitanie e-formation is paid per group-hour
on synchronous hours only.

A group-hour is one hour of a synchronous slot that was held, whatever the number of trainees
in it: the slot's scheduled duration counts once, not once per trainee. A slot is held when
at least one trainee signed in present. Only tutorat à distance and regroupement slots are
group-hours (``classes.GROUP_HOUR_CLASSES``): a plain centre class is not, and autoformation
is included in the group-hour price and never counted here.

This is an hours figure, not money: the contracted volume of an e-formation composante and
its R10 check are in these units, so the hours engine owns it and billing prices it.

The database adds the durations up (GROUP BY); Python never walks the slots.
"""

from datetime import date
from typing import NamedTuple

from sqlalchemy import Date, exists, func, literal, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours.aggregate import dialect_of
from attendance.hours.classes import GROUP_HOUR_CLASSES
from attendance.models import Composante, Emargement, Organisation, Slot


class GroupMinutes(NamedTuple):
    composante_id: int
    month: date
    minutes: int
    slots: int


def held_group_minutes(
    session: Session, org: Organisation, purchase_order_id: int, first: date, last: date
) -> dict[tuple[int, date], GroupMinutes]:
    """Scheduled minutes and number of held synchronous slots per composante and local month
    of a BDC, months ``first`` … ``last``."""
    win = clock.window(first, last)
    dialect = dialect_of(session)
    month = (
        literal(win.first_month, Date)
        if win.single_month
        else clock.month_sql(Slot.starts_at, win, dialect)
    )
    held = exists().where(
        Emargement.slot_id == Slot.id,
        Emargement.organisation_id == org.id,
        Emargement.status == "present",
    )
    composantes = select(Composante.id).where(
        Composante.organisation_id == org.id, Composante.purchase_order_id == purchase_order_id
    )
    statement = (
        select(
            Slot.composante_id,
            month.label("month"),
            func.sum(clock.scheduled_minutes(Slot.starts_at, Slot.ends_at, dialect)),
            func.count(Slot.id),
        )
        .where(
            Slot.organisation_id == org.id,
            Slot.composante_id.in_(composantes),
            Slot.kind.in_(sorted(GROUP_HOUR_CLASSES)),
            win.holds(Slot.starts_at),
            held,
        )
        .group_by(Slot.composante_id, *([] if win.single_month else [month]))
    )
    result = {}
    for composante_id, month_value, minutes, slots in session.execute(statement):
        row = GroupMinutes(composante_id, month_value, int(minutes or 0), int(slots))
        result[(composante_id, month_value)] = row
    return result
