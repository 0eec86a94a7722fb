"""Helper factories (CTFd style): build data through the same operations the API uses."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from attendance.accounts import hash_password, issue_api_token
from attendance.contract.pathways import create_pathway
from attendance.contract.purchase_orders import create_composante, create_purchase_order
from attendance.contract.slots import create_slot
from attendance.contract.trainees import create_trainee
from attendance.extensions import db
from attendance.models import Emargement, Organisation, User

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def _luhn_siret(prefix: str) -> str:
    """A 14-digit SIRET that passes the Luhn check, from a 13-digit prefix."""
    digits = [int(c) for c in prefix]
    for check in range(10):
        total = 0
        for index, digit in enumerate([*digits, check]):
            if index % 2 == 0:
                digit *= 2
                digit = digit - 9 if digit > 9 else digit
            total += digit
        if total % 10 == 0:
            return prefix + str(check)
    raise AssertionError("unreachable")


def gen_org(name: str | None = None) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=name or f"Organisme {n}",
        siret=_luhn_siret(f"{n:013d}"),
        address="1 rue de la Paix, 31000 Toulouse",
        signatory_name="Directrice",
    )
    db.session.add(org)
    db.session.flush()
    return org


_PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose; hash once per run


def gen_user(org: Organisation, role: str = "admin", email: str | None = None) -> User:
    n = next(_seq)
    user = User(
        organisation_id=org.id,
        email=email or f"{role}{n}@example.org",
        full_name=f"{role.title()} {n}",
        role=role,
        password_hash=_PASSWORD_HASH,
    )
    db.session.add(user)
    db.session.flush()
    return user


def token_for(user) -> dict:
    raw, _ = issue_api_token(db.session, user, 1)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def gen_purchase_order(org, **overrides):
    n = next(_seq)
    data = {
        "number": f"BDC-{n}",
        "title": "Compétences Plus",
        "dispositif": "COMPETENCES_PLUS",
        "mode": "presentiel",
        "planned_start": date(2026, 1, 5),
        "planned_end": date(2027, 6, 30),
        "sites": ["Toulouse"],
    }
    data.update(overrides)
    return create_purchase_order(db.session, org, data)


def gen_composante(order, **overrides):
    n = next(_seq)
    data = {
        "purchase_order_id": order.id,
        "code": f"C{n}",
        "title": f"Composante {n}",
        "contracted_centre_minutes": 1000 * 60,
        "contracted_company_minutes": 300 * 60,
        "unit_price": Decimal("12.50"),
    }
    data.update(overrides)
    return create_composante(db.session, db.session.get(Organisation, order.organisation_id), data)


def gen_trainee(org, **overrides):
    n = next(_seq)
    data = {
        "last_name": f"Nom{n}",
        "first_name": f"Prénom{n}",
        "boe": False,
        "aah": False,
        "email": f"stagiaire{n}@example.org",
    }
    data.update(overrides)
    return create_trainee(db.session, org, data)


def gen_pathway(trainee, composante, **overrides):
    data = {
        "trainee_id": trainee.id,
        "composante_id": composante.id,
        "entry_date": date(2026, 3, 2),
        "planned_exit_date": date(2026, 7, 3),
        "prescribed_centre_minutes": 150 * 60,
        "prescribed_company_minutes": 35 * 60,
    }
    data.update(overrides)
    org = db.session.get(Organisation, trainee.organisation_id)
    return create_pathway(db.session, org, data)


def gen_slot(composante, starts_at: datetime | None = None, minutes: int = 210, **overrides):
    starts_at = starts_at or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    data = {
        "composante_id": composante.id,
        "kind": "centre",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=minutes),
        "site": "Toulouse",
    }
    data.update(overrides)
    org = db.session.get(Organisation, composante.organisation_id)
    return create_slot(db.session, org, data)


def gen_emargement(slot, trainee, **overrides):
    data = {
        "organisation_id": slot.organisation_id,
        "slot_id": slot.id,
        "trainee_id": trainee.id,
        "status": "present",
        "signed_at": slot.starts_at,
        "method": "qr",
    }
    data.update(overrides)
    emargement = Emargement(**data)
    db.session.add(emargement)
    db.session.flush()
    return emargement


def csrf_form(client, data: dict | None = None) -> dict:
    """Form data with the CSRF token a page of this client's session carries (every staff
    form has one: attendance.security)."""
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return {**(data or {}), "csrf_token": token}
