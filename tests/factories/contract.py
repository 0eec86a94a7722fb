"""The contract (attendance/contract): purchase orders, composantes, trainees, pathways,
slots, built through the same operations the API uses."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from attendance.contract.pathways import create_pathway
from attendance.contract.purchase_orders import create_composante, create_purchase_order
from attendance.contract.sites import save_room, save_site
from attendance.contract.slots import create_slot
from attendance.contract.trainees import create_trainee
from attendance.extensions import db
from attendance.models import Organisation
from attendance.models.types import utcnow
from tests.factories.accounts import gen_org, sequence

MORNING_UTC = (8, 0)  # 09:00 or 10:00 in Paris: always the same local day
AFTERNOON_UTC = (12, 30)


def _org_of(row) -> Organisation:
    return db.session.get(Organisation, row.organisation_id)


def gen_purchase_order(org, **fields):
    """A Compétences Plus BDC, in person, running January 2026 – June 2027."""
    fields.setdefault("number", f"BDC-{next(sequence)}")
    fields.setdefault("title", "Compétences Plus")
    fields.setdefault("dispositif", "COMPETENCES_PLUS")
    fields.setdefault("mode", "presentiel")
    fields.setdefault("planned_start", date(2026, 1, 5))
    fields.setdefault("planned_end", date(2027, 6, 30))
    fields.setdefault("sites", ["Toulouse"])
    return create_purchase_order(db.session, org, fields)


def gen_composante(order, **fields):
    """A composante of ``order``: 1 000 h centre, 300 h company, 12,50 € an hour."""
    n = next(sequence)
    fields.setdefault("purchase_order_id", order.id)
    fields.setdefault("code", f"C{n}")
    fields.setdefault("title", f"Composante {n}")
    fields.setdefault("contracted_centre_minutes", 1000 * 60)
    fields.setdefault("contracted_company_minutes", 300 * 60)
    fields.setdefault("unit_price", Decimal("12.50"))
    return create_composante(db.session, _org_of(order), fields)


def order_with(org=None, mode="presentiel", composantes=1, **composante_fields):
    """A BDC of ``mode`` with ``composantes`` alike composantes: ``(org, order, [composante…])``."""
    org = org or gen_org()
    order = gen_purchase_order(org, mode=mode)
    made = [gen_composante(order, **composante_fields) for _ in range(composantes)]
    return org, order, made


def gen_trainee(org, **fields):
    n = next(sequence)
    fields.setdefault("last_name", f"Nom{n}")
    fields.setdefault("first_name", f"Prénom{n}")
    fields.setdefault("boe", False)
    fields.setdefault("aah", False)
    fields.setdefault("email", f"stagiaire{n}@example.org")
    return create_trainee(db.session, org, fields)


def gen_pathway(trainee, composante, **fields):
    """A pathway from 2 March to 3 July 2026, 150 h centre and 35 h company prescribed."""
    fields.setdefault("trainee_id", trainee.id)
    fields.setdefault("composante_id", composante.id)
    fields.setdefault("entry_date", date(2026, 3, 2))
    fields.setdefault("planned_exit_date", date(2026, 7, 3))
    fields.setdefault("prescribed_centre_minutes", 150 * 60)
    fields.setdefault("prescribed_company_minutes", 35 * 60)
    return create_pathway(db.session, _org_of(trainee), fields)


def enrol(composante, trainees, **pathway_fields) -> list:
    """Give each of ``trainees`` a pathway on ``composante``; returns ``trainees``."""
    for trainee in trainees:
        gen_pathway(trainee, composante, **pathway_fields)
    return list(trainees)


def gen_slot(composante, starts_at: datetime | None = None, minutes: int = 210, **fields):
    """A centre slot in Toulouse, by default 2 March 2026 at 08:00 UTC for 3 h 30."""
    starts_at = starts_at or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    fields.setdefault("composante_id", composante.id)
    fields.setdefault("kind", "centre")
    fields.setdefault("starts_at", starts_at)
    fields.setdefault("ends_at", starts_at + timedelta(minutes=minutes))
    fields.setdefault("site", "Toulouse")
    return create_slot(db.session, _org_of(composante), fields)


def half_day(composante, day: date, afternoon=False, minutes=210, **fields):
    """A slot starting 08:00 or 12:30 UTC on ``day`` (the same local day in Paris)."""
    hour, minute = AFTERNOON_UTC if afternoon else MORNING_UTC
    starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return gen_slot(composante, starts_at=starts, minutes=minutes, **fields)


def validated_slot(composante, trainer, starts_at, **fields):
    """A slot the trainer has signed and validated."""
    slot = gen_slot(composante, starts_at=starts_at, trainer_id=trainer.id, **fields)
    slot.validated_at = utcnow()
    slot.trainer_signature_png = b"\x89PNG\r\n\x1a\nsig"
    return slot


def gen_room(org, capacity: int = 12, site_name: str = "Toulouse — Compans", **fields):
    """A room of ``capacity`` places on a new site of ``org``."""
    site = save_site(db.session, org, {"name": site_name, "address": "2 allée Compans"})
    fields.setdefault("name", f"Salle {next(sequence)}")
    return save_room(db.session, org, {"site_id": site.id, "capacity": capacity, **fields})
