"""A realistic demo organisation: one Compétences Plus BDC, two composantes, a dozen trainees,
a month of half-day slots and the sign-ins of the days already past."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.accounts import create_user
from attendance.contract.pathways import create_pathway
from attendance.contract.purchase_orders import create_composante, create_purchase_order
from attendance.contract.slots import create_slot
from attendance.contract.trainees import create_trainee
from attendance.models import Emargement, Organisation

DEMO_SIRET = "73282932000074"
TRAINEES = [
    ("Martin", "Léa", False, False),
    ("Bernard", "Hugo", False, False),
    ("Dubois", "Chloé", True, True),
    ("Thomas", "Nathan", False, False),
    ("Robert", "Manon", False, False),
    ("Richard", "Lucas", True, False),
    ("Petit", "Camille", False, False),
    ("Durand", "Enzo", False, False),
    ("Leroy", "Inès", False, False),
    ("Moreau", "Louis", False, False),
    ("Simon", "Jade", False, False),
    ("Laurent", "Adam", True, True),
]
HALF_DAYS = ((time(9, 0), time(12, 30), "Matin"), (time(13, 30), time(17, 0), "Après-midi"))


def _paris(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clock.zone()).astimezone(UTC)


def load_demo(session: Session, password: str, month: date | None = None) -> str:
    if session.scalar(select(Organisation).where(Organisation.siret == DEMO_SIRET)):
        return "Organisme de démonstration déjà présent : rien à faire."
    today = clock.today()
    month = month or today.replace(day=1)
    org = Organisation(
        name="Centre de Formation Garonne",
        siret=DEMO_SIRET,
        address="12 allée Jean Jaurès, 31000 Toulouse",
        signatory_name="Claire Fabre",
        signatory_title="Directrice",
    )
    session.add(org)
    session.flush()
    users = {
        role: create_user(session, org, f"{role}@demo.example", name, role, password)
        for role, name in (
            ("admin", "Claire Fabre"),
            ("billing", "Sophie Garcia"),
            ("trainer", "Marc Roux"),
            ("auditor", "Paul Girard"),
        )
    }
    order = create_purchase_order(
        session,
        org,
        {
            "number": f"BDC-{month.year}-0042",
            "title": "Compétences Plus — Toulouse",
            "dispositif": "COMPETENCES_PLUS",
            "mode": "presentiel",
            "planned_start": month.replace(month=1, day=5) if month.month > 1 else month,
            "planned_end": date(month.year + 1, 6, 30),
            "sites": ["Toulouse — Jean Jaurès"],
            "planned_trainees": 12,
        },
    )
    office = create_composante(
        session,
        org,
        {
            "purchase_order_id": order.id,
            "code": "CP-BUREAU",
            "title": "Bureautique et numérique",
            "contracted_centre_minutes": 6 * 150 * 60,
            "contracted_company_minutes": 6 * 35 * 60,
            "unit_price": Decimal("12.50"),
        },
    )
    french = create_composante(
        session,
        org,
        {
            "purchase_order_id": order.id,
            "code": "CP-FLE",
            "title": "Français professionnel",
            "contracted_centre_minutes": 6 * 120 * 60,
            "contracted_company_minutes": 0,
            "unit_price": Decimal("11.80"),
        },
    )
    trainees = []
    for index, (last, first, boe, aah) in enumerate(TRAINEES):
        trainee = create_trainee(
            session,
            org,
            {
                "last_name": last,
                "first_name": first,
                "boe": boe,
                "aah": aah,
                "email": f"{first.lower()}.{last.lower()}@stagiaire.example".replace("é", "e")
                .replace("è", "e")
                .replace("ï", "i"),
                "birth_date": date(1985 + index, 1 + index % 12, 10),
            },
        )
        composante = office if index < 6 else french
        create_pathway(
            session,
            org,
            {
                "trainee_id": trainee.id,
                "composante_id": composante.id,
                "entry_date": month,
                "planned_exit_date": month + timedelta(days=120),
                "status": "in_training",
                "prescribed_centre_minutes": (150 if composante is office else 120) * 60,
                "prescribed_company_minutes": 35 * 60 if composante is office else 0,
            },
            users["billing"],
        )
        trainees.append((trainee, composante))

    slots = 0
    day = month
    now = datetime.now(UTC)
    while day.month == month.month:
        if day.weekday() < 5:
            for composante in (office, french):
                for start, end, label in HALF_DAYS:
                    kind = (
                        "autoformation"
                        if day.weekday() == 4 and label == "Après-midi"
                        else "centre"
                    )
                    slot = create_slot(
                        session,
                        org,
                        {
                            "composante_id": composante.id,
                            "kind": kind,
                            "starts_at": _paris(day, start),
                            "ends_at": _paris(day, end),
                            "title": f"{composante.title} — {label.lower()}",
                            "site": "Toulouse — Jean Jaurès" if kind == "centre" else None,
                            "objective": "Exercices guidés sur la plateforme"
                            if kind != "centre"
                            else None,
                            "trainer_id": users["trainer"].id,
                            "group_name": composante.code,
                        },
                    )
                    slots += 1
                    if slot.ends_at < now:
                        _sign_past_slot(session, org, slot, trainees, composante)
                        # The last two days stay for the trainer to validate: the month
                        # page then shows what still blocks validation.
                        if slot.ends_at < now - timedelta(days=2):
                            slot.validated_at = slot.ends_at + timedelta(minutes=5)
                            slot.validated_by_id = users["trainer"].id
                            slot.trainer_signature_png = _demo_signature()
        day += timedelta(days=1)
    session.flush()
    return (
        f"Démo prête : {org.name}, BDC {order.number}, 2 composantes, {len(trainees)} stagiaires, "
        f"{slots} séances.\nComptes (mot de passe « {password} ») : "
        + ", ".join(f"{u.email} ({role})" for role, u in users.items())
    )


def _demo_signature() -> bytes:
    """A drawn stroke, as the trainer's pad would send it."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 90), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (120, 70), (220, 25)], fill="#102a5c", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _sign_past_slot(session, org, slot, trainees, composante) -> None:
    for index, (trainee, trainee_composante) in enumerate(trainees):
        if trainee_composante is not composante:
            continue
        seed = (slot.id * 7 + index) % 23
        absent = seed == 0
        late = 10 if seed == 1 else 0
        session.add(
            Emargement(
                organisation_id=org.id,
                slot_id=slot.id,
                trainee_id=trainee.id,
                status="absent" if absent else "present",
                signed_at=None if absent else slot.starts_at + timedelta(minutes=2 + late),
                method="qr",
                late_minutes=late,
                confirmed=True,
                absence_reason="Rendez-vous France Travail" if absent else None,
                evidence={"demo": True},
            )
        )
