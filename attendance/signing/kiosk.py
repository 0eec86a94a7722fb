"""Kiosk mode: a shared tablet in the room. The trainee picks their name and types a PIN,
or shows a personal QR card. PIN tries are counted in the database so the limit holds
across server processes (DOMAIN "Security notes for sign-in"), and each try is counted
*before* its PIN is checked, by one atomic statement whose returned count decides: forty
guesses sent at once get exactly ``MAX_PIN_FAILURES`` checked, the rest are refused."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, null, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from attendance.errors import DomainError, NotFound
from attendance.models import KioskCredential, Organisation, Slot, Trainee
from attendance.models.types import UTCDateTime, utcnow
from attendance.signing import tokens
from attendance.signing.common import (
    Client,
    is_expected,
    late_minutes,
    record_signin,
    refuse_if_validated,
)
from attendance.signing.signature import decode_signature
from attendance.signing.statements import SignedRow, SlotContext
from attendance.signing.window import require_inside
from attendance.sql import sqlite_writer

KIOSK_COOKIE = "attendance_kiosk"
MAX_PIN_FAILURES = 5
LOCK_MINUTES = 15
CARD_DAYS = 730
PIN_MIN_LENGTH, PIN_MAX_LENGTH = 4, 8


def _credential(session: Session, org: Organisation, trainee: Trainee) -> KioskCredential:
    row = session.scalar(select(KioskCredential).where(KioskCredential.trainee_id == trainee.id))
    if row is None:
        row = KioskCredential(organisation_id=org.id, trainee_id=trainee.id)
        session.add(row)
    return row


def set_pin(session: Session, org: Organisation, trainee: Trainee, pin: str) -> None:
    digits = isinstance(pin, str) and pin.isascii() and pin.isdigit()
    if not (digits and PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH):
        raise DomainError(
            "PIN_FORMAT",
            f"Le code PIN compte de {PIN_MIN_LENGTH} à {PIN_MAX_LENGTH} chiffres.",
            status=422,
        )
    row = _credential(session, org, trainee)
    row.pin_hash = generate_password_hash(pin)
    row.failed_attempts, row.locked_until, row.updated_at = 0, None, utcnow()
    session.flush()


def issue_card(session: Session, org: Organisation, trainee: Trainee) -> str:
    """A printable personal QR card; issuing a new one revokes the previous card."""
    row = _credential(session, org, trainee)
    row.card_nonce = secrets.token_urlsafe(12)
    row.updated_at = utcnow()
    session.flush()
    token, _ = tokens.issue(
        session,
        tokens.KIOSK_CARD,
        {"org": org.id, "sub": str(trainee.id), "card": row.card_nonce},
        utcnow() + timedelta(days=CARD_DAYS),
    )
    return token


def start_kiosk(session: Session, slot: Slot, now: datetime | None = None) -> str:
    """The tablet's credential for one slot, valid until 30 min after its end."""
    refuse_if_validated(slot.id, slot.validated_at)
    now = now or utcnow()
    token, _ = tokens.issue(
        session,
        tokens.KIOSK,
        {"slot": slot.id, "org": slot.organisation_id},
        max(slot.ends_at, now) + timedelta(minutes=30),
        now=now,
    )
    return token


def kiosk_slot(session: Session, kiosk_token: str | None) -> Slot:
    if not kiosk_token:
        raise DomainError(
            "KIOSK_NOT_STARTED",
            "Cette tablette n'est pas en mode borne : le "
            "formateur l'active depuis la feuille de présence.",
            status=401,
        )
    _, claims = tokens.verify(session, kiosk_token, tokens.KIOSK)
    slot = session.get(Slot, claims["slot"])
    if slot is None or slot.organisation_id != claims["org"]:
        raise NotFound("séance")
    return slot


class PinRefused(DomainError):
    """A wrong PIN. Its try was counted (and committed) before the PIN was checked."""


def _wrong_pin() -> PinRefused:
    return PinRefused(
        "KIOSK_PIN_INVALID",
        "Code PIN incorrect : réessayez ou utilisez votre carte QR.",
        status=401,
    )


def _pin_locked(locked_until: datetime | None, now: datetime) -> DomainError:
    seconds = int((locked_until - now).total_seconds()) if locked_until else LOCK_MINUTES * 60
    seconds = max(seconds, 1)
    minutes = -(-seconds // 60)
    return DomainError(
        "KIOSK_PIN_LOCKED",
        f"Trop d'essais : le code PIN est bloqué encore {minutes} minute"
        f"{'s' if minutes > 1 else ''}. Utilisez votre carte QR ou voyez le formateur.",
        {"retry_after_seconds": seconds},
        status=429,
    )


_PINS = KioskCredential.__table__
_NOW = bindparam("now", type_=UTCDateTime())
_COOL_DOWN_OVER = and_(_PINS.c.locked_until.is_not(None), _PINS.c.locked_until <= _NOW)
_TRIES = case((_COOL_DOWN_OVER, 1), else_=_PINS.c.failed_attempts + 1)
# One try more (the count starts again once a cool-down is over); the try that reaches the
# limit sets the lock. Returns the count and the lock this try sees.
_TAKE_TRY = (
    update(_PINS)
    .where(_PINS.c.id == bindparam("credential_id"))
    .values(
        failed_attempts=_TRIES,
        locked_until=case(
            (_TRIES == MAX_PIN_FAILURES, bindparam("until", type_=UTCDateTime())),
            (_COOL_DOWN_OVER, null()),
            else_=_PINS.c.locked_until,
        ),
        updated_at=_NOW,
    )
    .returning(_PINS.c.failed_attempts, _PINS.c.locked_until)
)
_PIN_RIGHT = (
    update(_PINS)
    .where(_PINS.c.id == bindparam("credential_id"))
    .values(failed_attempts=0, locked_until=None, updated_at=_NOW)
)


def _counted(session: Session, statement, parameters: dict):
    """Run one counter statement in a transaction of its own, committed at once: the count
    must hold whatever the request does next, and be seen by the requests racing it. The
    session's read transaction ends first (on SQLite a stale snapshot cannot write)."""
    session.commit()
    with sqlite_writer(session):
        result = session.connection().execute(statement, parameters)
        row = result.one() if result.returns_rows else None
        session.commit()
    return row


def _check_pin(session: Session, trainee: Trainee, pin: str | None, now: datetime) -> None:
    """After ``MAX_PIN_FAILURES`` wrong tries the PIN is locked for ``LOCK_MINUTES``, the
    right PIN included; the personal QR card still works."""
    row = session.scalar(select(KioskCredential).where(KioskCredential.trainee_id == trainee.id))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise _pin_locked(row.locked_until, now)  # refused without writing
    if row is None or row.pin_hash is None:
        raise _wrong_pin()  # no PIN to guess, nothing to count
    credential_id, pin_hash = row.id, row.pin_hash
    until = now + timedelta(minutes=LOCK_MINUTES)
    parameters = {"credential_id": credential_id, "now": now, "until": until}
    tries, locked_until = _counted(session, _TAKE_TRY, parameters)
    locked = locked_until is not None and locked_until > now and tries != MAX_PIN_FAILURES
    if tries > MAX_PIN_FAILURES or locked:
        raise _pin_locked(locked_until, now)
    if not pin or not check_password_hash(pin_hash, pin):
        raise _wrong_pin()
    _counted(session, _PIN_RIGHT, {"credential_id": credential_id, "now": now})


def _check_card(session: Session, trainee: Trainee, card: str) -> None:
    _, claims = tokens.verify(session, card, tokens.KIOSK_CARD)
    row = session.scalar(select(KioskCredential).where(KioskCredential.trainee_id == trainee.id))
    if (
        claims.get("sub") != str(trainee.id)
        or claims.get("org") != trainee.organisation_id
        or row is None
        or row.card_nonce != claims.get("card")
    ):
        raise DomainError(
            "KIOSK_CARD_INVALID",
            "Cette carte QR n'est pas la vôtre ou a été remplacée : utilisez votre code PIN.",
            status=401,
        )


def trainee_from_card(session: Session, slot: Slot, card: str) -> Trainee:
    _, claims = tokens.verify(session, card, tokens.KIOSK_CARD)
    trainee = session.get(Trainee, int(claims["sub"]))
    if trainee is None or trainee.organisation_id != slot.organisation_id:
        raise NotFound("stagiaire")
    return trainee


def sign_at_kiosk(
    session: Session,
    kiosk_token: str | None,
    trainee_id: int | None,
    signature: str | None,
    client: Client,
    pin: str | None = None,
    card: str | None = None,
) -> SignedRow:
    """A sign-in on the room's tablet, inside the slot's sign-in window: checked before the
    PIN, so a refusal for the time counts no failed attempt."""
    slot = kiosk_slot(session, kiosk_token)
    context = SlotContext.of(slot)
    refuse_if_validated(slot.id, slot.validated_at)
    require_inside(context, client.now)
    if card and not trainee_id:
        trainee = trainee_from_card(session, slot, card)
    else:
        trainee = session.get(Trainee, trainee_id or 0)
    if (
        trainee is None
        or trainee.organisation_id != slot.organisation_id
        or not is_expected(session, context, trainee.id)
    ):
        raise NotFound("stagiaire")
    if card:
        _check_card(session, trainee, card)
    else:
        _check_pin(session, trainee, pin, client.now)
    png = decode_signature(signature)
    values = {
        "status": "present",
        "signed_at": client.now,
        "method": "kiosk",
        "late_minutes": late_minutes(context, client.now),
        "signature_png": png,
        "ip_address": client.ip,
        "user_agent": (client.user_agent or "")[:500],
        "evidence": {**client.evidence(), "kiosk_proof": "card" if card else "pin"},
    }
    return record_signin(session, context, trainee.id, values)
