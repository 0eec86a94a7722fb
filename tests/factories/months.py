"""The monthly cycle (attendance/months): month states, and a BDC month ready to declare."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from attendance.extensions import db
from attendance.models import MonthPeriod, Organisation
from attendance.months import operations
from tests.factories.accounts import gen_org, gen_user, token_for
from tests.factories.contract import (
    enrol,
    gen_composante,
    gen_purchase_order,
    gen_trainee,
    validated_slot,
)
from tests.factories.signing import gen_emargement

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


def set_month_state(order, month: date = MARCH, state: str = "validated") -> MonthPeriod:
    """Put ``order``'s ``month`` in ``state`` directly, without walking the cycle."""
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


def validate_month(order, month: date = MARCH, actor=None) -> MonthPeriod:
    """Synchronise then validate ``order``'s ``month`` through the months service, as billing
    staff do (every slot of the month must be signed and validated, no cap exceeded)."""
    org = db.session.get(Organisation, order.organisation_id)
    actor = actor or gen_user(org, "billing")
    operations.synchronise(db.session, org, order.id, month, actor)
    period = operations.validate(db.session, org, order.id, month, actor)
    db.session.commit()
    return period


@dataclass
class MonthSetting:
    org: object
    order: object
    composante: object
    trainees: list
    slots: list
    billing: dict
    admin: dict
    trainer: object


def month_setting() -> MonthSetting:
    """BDC-2026-42 in March 2026: two trainees, two validated slots; Martin present twice
    (10 minutes late the second time), Petit absent the second time."""
    org = gen_org()
    trainer = gen_user(org, "trainer")
    order = gen_purchase_order(org, number="BDC-2026-42")
    composante = gen_composante(order, code="BUR")
    trainees = enrol(
        composante,
        [gen_trainee(org, last_name=name, first_name="A") for name in ("Martin", "Petit")],
        entry_date=date(2026, 3, 2),
        prescribed_company_minutes=0,
    )
    slots = [
        validated_slot(composante, trainer, datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),  # 210 min
        validated_slot(composante, trainer, datetime(2026, 3, 3, 12, 30, tzinfo=UTC)),
    ]
    gen_emargement(slots[0], trainees[0])
    gen_emargement(slots[1], trainees[0], late_minutes=10)
    gen_emargement(slots[0], trainees[1])
    gen_emargement(slots[1], trainees[1], status="absent", signed_at=None)
    billing = token_for(gen_user(org, "billing"))
    admin = token_for(gen_user(org, "admin"))
    db.session.commit()
    return MonthSetting(org, order, composante, trainees, slots, billing, admin, trainer)
