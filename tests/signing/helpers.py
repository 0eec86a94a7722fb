"""Helpers for sign-in tests: a room (organisation, trainer, trainees on a pathway, a
slot running now), phones bound through real invitations, drawn signatures."""

import base64
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from PIL import Image, ImageDraw

from attendance.extensions import db
from attendance.models import Composante, Organisation, Slot, Trainee, User
from attendance.signing import devices
from tests.factories import (
    gen_composante,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
)


def signature_png(width: int = 300, height: int = 120) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (160, 90), (280, 30)], fill="#102a5c", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def signature_data_url(png: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(png or signature_png()).decode()


@dataclass
class Room:
    org: Organisation
    trainer: User
    admin: User
    composante: Composante
    slot: Slot
    trainees: list[Trainee]

    @property
    def trainee(self) -> Trainee:
        return self.trainees[0]


def make_room(
    n_trainees: int = 3, starts_at: datetime | None = None, kind: str = "centre", **slot_fields
) -> Room:
    org = gen_org()
    trainer = gen_user(org, "trainer")
    admin = gen_user(org, "admin")
    order = gen_purchase_order(org)
    composante = gen_composante(order)
    trainees = []
    for _ in range(n_trainees):
        trainee = gen_trainee(org)
        gen_pathway(
            trainee, composante, entry_date=date(2026, 3, 2), planned_exit_date=date(2027, 3, 1)
        )
        trainees.append(trainee)
    starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    slot = gen_slot(
        composante,
        starts_at=starts_at,
        kind=kind,
        trainer_id=trainer.id,
        title="Bureautique",
        **slot_fields,
    )
    db.session.commit()
    return Room(org, trainer, admin, composante, slot, trainees)


def bind_phone(trainee: Trainee, current: str | None = None) -> str:
    """Bind a phone the way a trainee does (invitation opened), returning its credential."""
    org = db.session.get(Organisation, trainee.organisation_id)
    _, token = devices.create_invitation(db.session, org, trainee, None)
    db.session.commit()
    _, credential = devices.bind_device(db.session, token, "pytest-phone", current)
    return credential
