"""A group slot with trainees, some of whom signed, at a fixed time."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from attendance.extensions import db
from attendance.models import Organisation, Slot, Trainee, User
from tests.factories import (
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
)

SLOT_START = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@dataclass
class Group:
    org: Organisation
    trainer: User
    slot: Slot
    late: list[Trainee]
    signed: list[Trainee]


def make_group(late: int = 3, signed: int = 2, starts_at: datetime = SLOT_START) -> Group:
    org = gen_org()
    trainer = gen_user(org, "trainer")
    composante = gen_composante(gen_purchase_order(org))
    trainees = [gen_trainee(org) for _ in range(late + signed)]
    for trainee in trainees:
        gen_pathway(
            trainee,
            composante,
            entry_date=date(2026, 3, 2),
            prescribed_centre_minutes=60 * 60,
            prescribed_company_minutes=0,
        )
    slot = gen_slot(composante, starts_at, minutes=210, trainer_id=trainer.id, title="Bureautique")
    for trainee in trainees[late:]:
        gen_emargement(slot, trainee)
    db.session.commit()
    return Group(org, trainer, slot, trainees[:late], trainees[late:])
