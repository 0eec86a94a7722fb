"""The codes a room signs with: the compact code of the projected QR and the 6-character
short code shown under it, both rotating together.

The QR carries ``https://host/q/<code>``, well under 80 characters, so the grid stays at
most 37×37 modules (version 5, error correction M) for a typical host, where the JWT link
made a 69×69 grid. The code packs, in base64url: a tag byte naming the signing key, the
organisation, the slot, the rotation counter and a 64-bit HMAC-SHA256 of those four
numbers. Verification is stateless; the HMAC key is derived from the JWT signing key
(``keys._code_secret``), so these codes rotate and retire with the keys, and opening one on
a bound phone gives the page's JWT ticket (``signins.open_slot_code``).

Rotation: counter ``n`` is shown from ``n × R`` to ``(n + 1) × R`` (R =
``SIGNIN_QR_ROTATION_SECONDS``) and accepted until ``SIGNIN_QR_GRACE_SECONDS`` after,
with the JWT leeway either side: one rotation plus a short grace, as the JWT codes were.
Replay is judged as before (a code outside its window, of another slot, or opened on
another phone than the ticket's).

The short code (31 characters without 0/O, 1/I/L: 31⁶ ≈ 8.9 × 10⁸) is an HMAC of the same
rotation. It carries no slot: it is looked up among the slots whose sign-in window is open
now (of the phone's organisation once the phone is bound), so a guess must hit the current
code (or the previous one, during the grace) of a slot open at that moment, and then still
needs a phone bound to a trainee expected on that slot (a code is looked up only for a
bound phone). With the per-phone attempt limit (``signin_client_attempts``: 60 a minute)
and the per-phone refusal limit (``signin_client_failures``: 50 per 10 minutes) a bound
phone guessing succeeds with odds of about 2 × 10⁻⁵ per day of trying. Two open slots
sharing a code at the same rotation (about k²/1.8 × 10⁹ for k open slots) are told apart
by the phone's organisation; failing that the trainee is asked to type the next code,
which differs.
"""

import base64
import binascii
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import Conflict, DomainError
from attendance.models import Slot
from attendance.signing import tokens
from attendance.signing.keys import LoadedKey, keyring
from attendance.signing.window import opening_minutes

SLOT_CODE = tokens.TokenKind("slot-code", "attendance:slot-code", "QR code de séance")
SHORT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
SHORT_LENGTH = 6
_MAC_BYTES = 8
_MAX_CODE_CHARS = 40
# Slots found by a short code: the kinds signed in a room (autoformation and company days
# have their own ways), started at most this long ago.
_NOT_IN_A_ROOM = ("autoformation", "company")
_LONGEST_SLOT = timedelta(days=1)
# A short code mistyped from a few rotations ago says "expired", not "unknown".
_EXPIRED_LOOKBACK = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class ShownCode:
    """What the projector shows for one rotation."""

    code: str  # the compact code of the QR's URL
    short: str  # the 6 characters shown under it
    changes_at: datetime  # when the next rotation starts
    expires_at: datetime  # when this one stops being accepted (grace included)


def rotation_seconds() -> int:
    return int(current_app.config.get("SIGNIN_QR_ROTATION_SECONDS", 15))


def _grace() -> int:
    return int(current_app.config.get("SIGNIN_QR_GRACE_SECONDS", 10))


def _leeway() -> int:
    return int(current_app.config.get("SIGNING_LEEWAY_SECONDS", 5))


def counter_at(now: datetime) -> int:
    return math.floor(now.timestamp() / rotation_seconds())


def _instant(counter: int) -> datetime:
    return datetime.fromtimestamp(counter * rotation_seconds(), UTC)


def _too_early(counter: int, now: datetime) -> bool:
    return now < _instant(counter) - timedelta(seconds=_leeway())


def _too_late(counter: int, now: datetime) -> bool:
    return now > _instant(counter + 1) + timedelta(seconds=_grace() + _leeway())


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    number = shift = 0
    for index in range(at, min(len(data), at + 5)):
        number |= (data[index] & 0x7F) << shift
        shift += 7
        if not data[index] & 0x80:
            return number, index + 1
    raise ValueError("varint")


def _mac(key: LoadedKey, purpose: bytes, org: int, slot: int, counter: int) -> bytes:
    message = b"%s|%d|%d|%d" % (purpose, org, slot, counter)
    return hmac.new(key.code_secret, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact_code(key: LoadedKey, org: int, slot: int, counter: int) -> str:
    numbers = _varint(org) + _varint(slot) + _varint(counter)
    mac = _mac(key, b"qr", org, slot, counter)[:_MAC_BYTES]
    return _b64(bytes([key.tag]) + numbers + mac)


def short_code(key: LoadedKey, org: int, slot: int, counter: int) -> str:
    value = int.from_bytes(_mac(key, b"short", org, slot, counter)[:8], "big")
    chars = []
    for _ in range(SHORT_LENGTH):
        value, index = divmod(value, len(SHORT_ALPHABET))
        chars.append(SHORT_ALPHABET[index])
    return "".join(chars)


def shown_code(session: Session, slot: Slot, now: datetime) -> ShownCode:
    """The codes of the rotation running at ``now`` (the caller checks the window)."""
    key = keyring().active(session, current_app.config.get("SIGNING_ALG", "HS256"))
    counter = counter_at(now)
    org = slot.organisation_id
    return ShownCode(
        compact_code(key, org, slot.id, counter),
        short_code(key, org, slot.id, counter),
        _instant(counter + 1),
        _instant(counter + 1) + timedelta(seconds=_grace()),
    )


def looks_compact(token: str) -> bool:
    """A compact code has no dot; a JWT (the page's ticket) has two."""
    return isinstance(token, str) and "." not in token


def verify_compact(session: Session, code: str, now: datetime) -> dict:
    """The claims (slot, org, jti) of a genuine compact code of the current rotation."""
    if not isinstance(code, str) or not 0 < len(code) <= _MAX_CODE_CHARS:
        raise tokens.invalid(SLOT_CODE, "malformed")
    try:
        data = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        org, at = _read_varint(data, 1)
        slot, at = _read_varint(data, at)
        counter, at = _read_varint(data, at)
    except (ValueError, binascii.Error, IndexError) as exc:
        raise tokens.invalid(SLOT_CODE, "malformed") from exc
    if len(data) - at != _MAC_BYTES:
        raise tokens.invalid(SLOT_CODE, "malformed")
    genuine = any(
        hmac.compare_digest(compact_code(key, org, slot, counter), code)
        for key in keyring().tagged(session, data[0])
    )
    if not genuine:
        raise tokens.invalid(SLOT_CODE, "mac")
    if _too_early(counter, now):
        raise tokens.not_yet_valid(SLOT_CODE)
    if _too_late(counter, now):
        raise tokens.expired(SLOT_CODE)
    return {"slot": slot, "org": org, "jti": code}


def normalise_short(typed: str | None) -> str:
    """Upper case, without the spaces and dashes a person types between groups."""
    return "".join(ch for ch in (typed or "").upper() if ch not in " -\t.")


def _unknown_short() -> DomainError:
    return DomainError(
        "SHORT_CODE_UNKNOWN",
        "Ce code ne correspond à aucune séance en cours : recopiez les 6 caractères "
        "affichés sous le QR code du formateur.",
        status=401,
    )


def _open_slots(session: Session, now: datetime, organisation_id: int | None) -> list:
    """(id, organisation) of the room slots whose sign-in window may hold ``now``."""
    margin = timedelta(seconds=rotation_seconds() + _grace() + _leeway())
    query = select(Slot.id, Slot.organisation_id).where(
        Slot.kind.not_in(_NOT_IN_A_ROOM),
        Slot.starts_at <= now + timedelta(minutes=opening_minutes()) + margin,
        Slot.starts_at >= now - _LONGEST_SLOT,
        Slot.ends_at >= now - margin,
    )
    if organisation_id is not None:
        query = query.where(Slot.organisation_id == organisation_id)
    return session.execute(query).all()


def _matches(slots, keys, counters, typed) -> list[tuple[int, int, LoadedKey, int]]:
    return [
        (slot, org, key, counter)
        for slot, org in slots
        for counter in counters
        for key in keys
        if hmac.compare_digest(short_code(key, org, slot, counter), typed)
    ]


def find_short(
    session: Session, typed: str | None, now: datetime, organisation_id: int | None = None
) -> dict:
    """The claims of the slot whose current short code was typed, among the slots open now
    (of ``organisation_id`` when the phone's organisation is known); ``jti`` is the compact
    code of the same rotation, so the evidence names the code shown whichever way it was
    read."""
    typed = normalise_short(typed)
    if len(typed) != SHORT_LENGTH or any(ch not in SHORT_ALPHABET for ch in typed):
        raise _unknown_short()
    slots = _open_slots(session, now, organisation_id)
    keys = keyring().all(session)
    current = counter_at(now)
    valid = [c for c in range(current - 3, current + 2) if not _too_early(c, now)]
    valid = [c for c in valid if not _too_late(c, now)]
    found = _matches(slots, keys, valid, typed)
    if not found:
        oldest = counter_at(now - _EXPIRED_LOOKBACK)
        if _matches(slots, keys, range(oldest, min(valid, default=current)), typed):
            raise tokens.expired(SLOT_CODE)
        raise _unknown_short()
    if len({slot for slot, *_ in found}) > 1:
        raise Conflict(
            "SHORT_CODE_AMBIGUOUS",
            "Ce code correspond à plusieurs séances en ce moment : attendez le code suivant "
            f"(il change toutes les {rotation_seconds()} secondes) et saisissez-le.",
        )
    slot, org, key, counter = found[0]
    return {"slot": slot, "org": org, "jti": compact_code(key, org, slot, counter)}
