"""Builders for the billing tests: BDCs with slots and sign-ins, and validated months."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from attendance.extensions import db
from attendance.models import MonthPeriod
from tests.factories import gen_emargement, gen_slot

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


def slot_on(composante, day: int, month: date = MARCH, minutes=210, afternoon=False, **fields):
    """A slot starting 08:00 or 12:30 UTC (same local day in Paris) on ``day`` of ``month``."""
    hour, minute = (12, 30) if afternoon else (8, 0)
    starts = datetime(month.year, month.month, day, hour, minute, tzinfo=UTC)
    return gen_slot(composante, starts_at=starts, minutes=minutes, **fields)


def signed(slot, trainee, **fields):
    if slot.kind == "autoformation":
        fields.setdefault("confirmed", True)
    return gen_emargement(slot, trainee, **fields)


def set_month_state(order, month: date = MARCH, state: str = "validated") -> MonthPeriod:
    """The monthly cycle (attendance/months) is the lead's: tests set the state directly."""
    period = db.session.scalar(
        select(MonthPeriod).where(
            MonthPeriod.purchase_order_id == order.id, MonthPeriod.month == month
        )
    )
    if period is None:
        period = MonthPeriod(
            organisation_id=order.organisation_id, purchase_order_id=order.id, month=month
        )
        db.session.add(period)
    period.state = state
    db.session.flush()
    return period
