"""Organisations, users and the ways a test logs in (API token, CSRF-carrying form)."""

import itertools
import re

from attendance.accounts import hash_password, issue_api_token
from attendance.extensions import db
from attendance.models import Organisation, User

sequence = itertools.count(1)  # one counter for every factory: unique names, numbers, e-mails
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose; hash once per run


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


def gen_org(name: str | None = None, **fields) -> Organisation:
    """An organisation with a valid, unique SIRET."""
    n = next(sequence)
    fields.setdefault("name", name or f"Organisme {n}")
    fields.setdefault("siret", _luhn_siret(f"{n:013d}"))
    fields.setdefault("address", "1 rue de la Paix, 31000 Toulouse")
    fields.setdefault("signatory_name", "Directrice")
    org = Organisation(**fields)
    db.session.add(org)
    db.session.flush()
    return org


def gen_user(org: Organisation, role: str = "admin", email: str | None = None, **fields) -> User:
    """A user of ``org`` whose password is ``PASSWORD``."""
    n = next(sequence)
    fields.setdefault("email", email or f"{role}{n}@example.org")
    fields.setdefault("full_name", f"{role.title()} {n}")
    fields.setdefault("password_hash", _PASSWORD_HASH)
    user = User(organisation_id=org.id, role=role, **fields)
    db.session.add(user)
    db.session.flush()
    return user


def token_for(user) -> dict:
    """API headers carrying a fresh bearer token of ``user`` (commits)."""
    raw, _ = issue_api_token(db.session, user, 1)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def csrf_form(client, data: dict | None = None) -> dict:
    """Form data with the CSRF token a page of this client's session carries (every staff
    form has one: attendance.security)."""
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return {**(data or {}), "csrf_token": token}
