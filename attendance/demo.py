"""A realistic demo organisation: one Compétences Plus BDC, two composantes, a dozen trainees,
four months of slots, the sign-ins of the days already past, validated months and their
invoices: what a visitor needs to follow the product from a phone's sign-in to an invoice."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock, evidence
from attendance.accounts import create_user
from attendance.contract.pathways import create_pathway
from attendance.contract.purchase_orders import create_composante, create_purchase_order
from attendance.contract.slots import create_slot
from attendance.contract.trainees import create_trainee
from attendance.french import month_fr as french_month
from attendance.models import Emargement, Organisation
from attendance.months import operations
from attendance.signing.devices import create_invitation
from billing.invoices import issue_invoice

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


MONTHS_OF_HISTORY = 3  # the current month and the three before it


def load_demo(session: Session, password: str, month: date | None = None) -> str:
    """The whole story from sign-in to invoice, on four months ending with ``month`` (the
    current one by default): the two oldest validated and invoiced (the second shows
    autoformation beyond its cap « non facturé » without blocking); the last past month
    signed and checked by the trainer, ready for a visitor to validate and invoice; the
    current month signed up to yesterday, today's slots open for a visitor's phone, the last
    two days left for the trainer to validate; one trainee with a pending invitation."""
    if session.scalar(select(Organisation).where(Organisation.siret == DEMO_SIRET)):
        return "Organisme de démonstration déjà présent : rien à faire."
    today = clock.today()
    month = month or today.replace(day=1)
    months = [month]
    for _ in range(MONTHS_OF_HISTORY):
        months.insert(0, clock.previous_month(months[0]))
    first = months[0]
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
            "number": f"BDC-{first.year}-0042",
            "title": "Compétences Plus — Toulouse",
            "dispositif": "COMPETENCES_PLUS",
            "mode": "presentiel",
            "planned_start": first.replace(month=1, day=5) if first.month > 1 else first,
            "planned_end": date(first.year + 1, 6, 30),
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
            "contracted_centre_minutes": 6 * 200 * 60,
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
            "contracted_centre_minutes": 6 * 180 * 60,
            "contracted_company_minutes": 0,
            "unit_price": Decimal("11.80"),
        },
    )
    trainees = []
    for index, (last, first_name, boe, aah) in enumerate(TRAINEES):
        trainee = create_trainee(
            session,
            org,
            {
                "last_name": last,
                "first_name": first_name,
                "boe": boe,
                "aah": aah,
                "email": f"{first_name.lower()}.{last.lower()}@stagiaire.example".replace("é", "e")
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
                "entry_date": first,
                "planned_exit_date": min(month + timedelta(days=60), order.planned_end),
                "status": "in_training",
                "prescribed_centre_minutes": (160 if composante is office else 180) * 60,
                "prescribed_company_minutes": 35 * 60 if composante is office else 0,
            },
            users["billing"],
        )
        trainees.append((trainee, composante))

    now = datetime.now(UTC)
    slots = _plan(session, org, (office, french), months, users["trainer"], trainees, now)
    slots += _open_slot_now(session, org, office, users["trainer"], now)
    session.flush()
    invoices = _close_past_months(session, org, order, months[:-2], users["billing"])
    create_invitation(session, org, trainees[-1][0], users["admin"])
    session.flush()
    return (
        f"Démo prête : {org.name}, BDC {order.number}, 2 composantes, {len(trainees)} stagiaires, "
        f"{slots} séances ; {', '.join(invoices)} émises, "
        f"{french_month(months[-2])} prêt à valider et facturer.\n"
        f"Comptes (mot de passe « {password} ») : "
        + ", ".join(f"{u.email} ({role})" for role, u in users.items())
    )


# Centre mornings on Monday and Thursday, autoformation on Wednesday morning: about 45 h a
# month per trainee, so four months stay within R1's 200 h, and the BDC's autoformation
# (20 % of its 2 280 contracted hours = 456 h) runs out during the third month.
CENTRE_DAYS, AUTOFORMATION_DAYS = (0, 3), (2,)


def _plan(session, org, composantes, months, trainer, trainees, now) -> int:
    """Every slot of the months; past ones signed (today's left open) and, but for the last
    two days, validated by the trainer."""
    count = 0
    today = clock.local_day(now)
    for day in _days(months[0], clock.next_month(months[-1])):
        if day.weekday() not in CENTRE_DAYS + AUTOFORMATION_DAYS:
            continue
        kind = "autoformation" if day.weekday() in AUTOFORMATION_DAYS else "centre"
        start, end, label = HALF_DAYS[0]
        for composante in composantes:
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
                    "objective": "Exercices guidés sur la plateforme" if kind != "centre" else None,
                    "trainer_id": trainer.id,
                    "group_name": composante.code,
                },
            )
            count += 1
            if day < today and slot.ends_at < now:
                _sign_past_slot(session, org, slot, trainees, composante)
                # The current month's last two days stay for the trainer to validate: its
                # page then shows what still blocks validation. Earlier months are closed.
                if slot.ends_at < now - timedelta(days=2) or day < clock.first_of_month(today):
                    slot.validated_at = slot.ends_at + timedelta(minutes=5)
                    slot.validated_by_id = trainer.id
                    slot.trainer_signature_png = _demo_signature()
    return count


def _days(first: date, end: date):
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)


def _open_slot_now(session, org, composante, trainer, now) -> int:
    """A slot open right now, whatever the day and hour the demo is loaded, so a visitor can
    scan its QR code and sign from a phone."""
    starts = now.replace(second=0, microsecond=0) - timedelta(minutes=10)
    create_slot(
        session,
        org,
        {
            "composante_id": composante.id,
            "kind": "centre",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=3),
            "title": f"{composante.title} — séance ouverte (démonstration)",
            "site": "Toulouse — Jean Jaurès",
            "trainer_id": trainer.id,
            "group_name": composante.code,
        },
    )
    return 1


def _close_past_months(session, org, order, months, user) -> list[str]:
    """Validate and invoice ``months`` as billing staff do, through the same services."""
    numbers = []
    for month in months:
        operations.synchronise(session, org, order.id, month, user)
        operations.validate(session, org, order.id, month, user)
        invoice = issue_invoice(session, org, user, order.id, month)
        numbers.append(invoice.number)
    return numbers


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
    """The slot's sign-ins, logged as every sign-in is (``audit verify`` misses none)."""
    records = []
    for index, (trainee, trainee_composante) in enumerate(trainees):
        if trainee_composante is not composante:
            continue
        seed = (slot.id * 7 + index) % 23
        absent = seed == 0
        late = 10 if seed == 1 else 0
        records.append(
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
    session.add_all(records)
    evidence.log_emargements(session, records, "signin", origin="demo")
