"""The monthly cycle (attendance/months): month states, and a BDC month ready to declare."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from attendance import clock
from attendance.extensions import db
from attendance.models import Composante, MonthPeriod, Organisation, Slot
from attendance.months import operations
from attendance.signing import roster
from tests.factories.accounts import gen_org, gen_user, token_for
from tests.factories.contract import (
    enrol,
    gen_composante,
    gen_purchase_order,
    gen_trainee,
    validated_slot,
)
from tests.factories.images import signature_data_url
from tests.factories.signing import gen_emargement

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


def mark_month_validated(room) -> MonthPeriod:
    """The month of ``room``'s slot recorded as validated directly (no sync, no frozen
    figures): enough for the guards that refuse writes into a validated month."""
    period = MonthPeriod(
        organisation_id=room.org.id,
        purchase_order_id=room.composante.purchase_order_id,
        month=clock.local_day(room.slot.starts_at).replace(day=1),
        state="validated",
        version=1,
    )
    db.session.add(period)
    db.session.commit()
    return period


def validate_month(order, month: date = MARCH, user=None, trainer=None) -> MonthPeriod:
    """Walk ``order``'s ``month`` through the cycle as users do: ``trainer`` (by default an
    administrator) validates every slot still open — trainees who did not sign are recorded
    absent — then ``user`` (by default that administrator) synchronises and validates the
    month through the months service, which freezes its billing figures."""
    org = db.session.get(Organisation, order.organisation_id)
    user = user or gen_user(org, "admin")
    trainer = trainer or (user if user.role in ("admin", "trainer") else gen_user(org, "admin"))
    win = clock.window(month)
    slots = db.session.scalars(
        select(Slot)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(
            Composante.purchase_order_id == order.id,
            Slot.validated_at.is_(None),
            win.holds(Slot.starts_at),
        )
        .order_by(Slot.starts_at)
    ).all()
    for slot in slots:
        roster.validate_slot(db.session, slot, trainer, signature_data_url())
    operations.synchronise(db.session, org, order.id, month, user)
    period = operations.validate(db.session, org, order.id, month, user)
    db.session.commit()
    return period


def synchronise_month(order, month: date = MARCH, user=None):
    """Synchronise ``order``'s ``month`` through the months service, as billing staff do."""
    org = db.session.get(Organisation, order.organisation_id)
    declaration = operations.synchronise(
        db.session, org, order.id, month, user or gen_user(org, "billing")
    )
    db.session.commit()
    return declaration


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
