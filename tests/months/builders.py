"""A BDC month ready to declare: two trainees, validated and signed slots in March 2026."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from attendance.extensions import db
from attendance.models.types import utcnow
from tests.factories import (
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    token_for,
)

MARCH = date(2026, 3, 1)


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


def validated_slot(composante, trainer, starts_at, **overrides):
    slot = gen_slot(composante, starts_at=starts_at, trainer_id=trainer.id, **overrides)
    slot.validated_at = utcnow()
    slot.trainer_signature_png = b"\x89PNG\r\n\x1a\nsig"
    return slot


def month_setting() -> MonthSetting:
    org = gen_org()
    trainer = gen_user(org, "trainer")
    order = gen_purchase_order(org, number="BDC-2026-42")
    composante = gen_composante(order, code="BUR")
    trainees = [gen_trainee(org, last_name=name, first_name="A") for name in ("Martin", "Petit")]
    for trainee in trainees:
        gen_pathway(trainee, composante, entry_date=date(2026, 3, 2), prescribed_company_minutes=0)
    slots = [
        validated_slot(composante, trainer, datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),  # 210 min
        validated_slot(composante, trainer, datetime(2026, 3, 3, 12, 30, tzinfo=UTC)),
    ]
    # Martin: present twice, 10 minutes late the second time; Petit: absent the second time.
    gen_emargement(slots[0], trainees[0])
    gen_emargement(slots[1], trainees[0], late_minutes=10)
    gen_emargement(slots[0], trainees[1])
    gen_emargement(slots[1], trainees[1], status="absent", signed_at=None)
    billing = token_for(gen_user(org, "billing"))
    admin = token_for(gen_user(org, "admin"))
    db.session.commit()
    return MonthSetting(org, order, composante, trainees, slots, billing, admin, trainer)
