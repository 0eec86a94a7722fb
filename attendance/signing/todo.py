"""The staff home as a to-do list: today's slots, then past slots still waiting for their
trainer's validation (how old each is), then what comes next.

A trainer sees their own slots; staff who read every slot see everyone's.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours.compliance import AwaitingValidation, awaiting_validation
from attendance.models import Organisation, Slot, User
from attendance.tenancy import org_select

UPCOMING = 20
AWAITING = 50


@dataclass
class Todo:
    today: list[Slot]
    awaiting: AwaitingValidation
    upcoming: list[Slot]


def todo(session: Session, org: Organisation, today: date, trainer: User | None = None) -> Todo:
    """``trainer`` narrows every list to their own slots; None is everyone's."""
    start, end = clock.local_midnight_utc(today), clock.local_midnight_utc(today + timedelta(1))
    query = org_select(Slot, org).order_by(Slot.starts_at, Slot.id)
    if trainer is not None:
        query = query.where(Slot.trainer_id == trainer.id)
    return Todo(
        today=session.scalars(query.where(Slot.starts_at >= start, Slot.starts_at < end)).all(),
        awaiting=awaiting_validation(
            session, org, today, trainer.id if trainer else None, AWAITING
        ),
        upcoming=session.scalars(query.where(Slot.starts_at >= end).limit(UPCOMING)).all(),
    )
