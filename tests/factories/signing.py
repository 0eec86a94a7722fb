"""Sign-ins (emargements) and the rooms they happen in: an organisation, a trainer,
trainees on a pathway and a slot; phones bound through real invitations."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from attendance import evidence
from attendance.extensions import db
from attendance.models import Composante, Emargement, Organisation, Slot, Trainee, User
from attendance.signing import devices, room_codes
from tests.factories.accounts import gen_org, gen_user
from tests.factories.contract import (
    enrol,
    gen_composante,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
)

SLOT_START = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def gen_emargement(slot, trainee, **fields):
    """``trainee`` signed ``slot`` present, by QR code, as it started; logged like every
    sign-in, so ``audit verify`` sees test data as intact."""
    fields.setdefault("organisation_id", slot.organisation_id)
    fields.setdefault("slot_id", slot.id)
    fields.setdefault("trainee_id", trainee.id)
    fields.setdefault("status", "present")
    fields.setdefault("signed_at", slot.starts_at)
    fields.setdefault("method", "qr")
    emargement = Emargement(**fields)
    db.session.add(emargement)
    evidence.log_emargements(db.session, [emargement], "signin", origin="test")
    return emargement


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
    """A slot running now (started two minutes ago) with ``n_trainees`` who have not signed."""
    org = gen_org()
    trainer = gen_user(org, "trainer")
    admin = gen_user(org, "admin")
    composante = gen_composante(gen_purchase_order(org))
    trainees = enrol(
        composante,
        [gen_trainee(org) for _ in range(n_trainees)],
        entry_date=date(2026, 3, 2),
        planned_exit_date=date(2027, 3, 1),
    )
    starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    slot_fields.setdefault("title", "Bureautique")
    slot = gen_slot(
        composante, starts_at=starts_at, kind=kind, trainer_id=trainer.id, **slot_fields
    )
    db.session.commit()
    return Room(org, trainer, admin, composante, slot, trainees)


@dataclass
class Group:
    org: Organisation
    trainer: User
    slot: Slot
    late: list[Trainee]
    signed: list[Trainee]


def make_group(late: int = 3, signed: int = 2, starts_at: datetime = SLOT_START) -> Group:
    """A group slot at a fixed time: ``signed`` trainees signed, ``late`` have not."""
    org = gen_org()
    trainer = gen_user(org, "trainer")
    composante = gen_composante(gen_purchase_order(org))
    trainees = enrol(
        composante,
        [gen_trainee(org) for _ in range(late + signed)],
        entry_date=date(2026, 3, 2),
        prescribed_centre_minutes=60 * 60,
        prescribed_company_minutes=0,
    )
    slot = gen_slot(composante, starts_at, minutes=210, trainer_id=trainer.id, title="Bureautique")
    for trainee in trainees[late:]:
        gen_emargement(slot, trainee)
    db.session.commit()
    return Group(org, trainer, slot, trainees[:late], trainees[late:])


def bind_phone(trainee: Trainee, current: str | None = None) -> str:
    """Bind a phone the way a trainee does (invitation opened), returning its credential."""
    org = db.session.get(Organisation, trainee.organisation_id)
    _, token = devices.create_invitation(db.session, org, trainee, None)
    db.session.commit()
    _, credential = devices.bind_device(db.session, token, "pytest-phone", current)
    return credential


def gen_slot_code(slot: Slot, at: datetime | None = None) -> str:
    """A genuine compact slot code of the rotation running at ``at`` (default now), made
    directly (not through ``issue_slot_qr``, which refuses outside the slot's window): a code
    kept from earlier, or photographed and sent on."""
    return _rotation_codes(slot, at).code


def gen_short_code(slot: Slot, at: datetime | None = None) -> str:
    """The 6-character code shown under the slot's QR at ``at`` (default now)."""
    return _rotation_codes(slot, at).short


def _rotation_codes(slot: Slot, at: datetime | None):
    shown = room_codes.shown_code(db.session, slot, at or datetime.now(UTC))
    db.session.commit()  # the first signing key, when this is the first token of the test
    return shown
