"""JWT signing keys: creation, rotation and a small per-process cache.

Keys live in the database (never in the repository), so every server process agrees.
RFC 8725: the algorithm belongs to the key (§3.1); an HS256 secret has 384 bits, above
the 256-bit floor (§3.5). Rotation makes a new key the signer and retires the old one,
which still verifies what it signed, so QR codes and phones in flight keep working.
"""

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import DomainError
from attendance.models.signing import SIGNING_ALGORITHMS, SigningKey
from attendance.models.types import utcnow

HS256_SECRET_BYTES = 48
_CACHE_SECONDS = 10.0
_MISS_RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class LoadedKey:
    """A key ready for PyJWT: what signs, what verifies, and its pinned algorithm."""

    kid: str
    alg: str
    signing_key: object
    verifying_key: object
    retired: bool
    code_secret: bytes  # the HMAC key of the slot codes (``signing.room_codes``)
    tag: int  # one byte naming the key inside a slot code, as ``kid`` does in a JWT


def _code_secret(material: bytes) -> bytes:
    """The slot codes' HMAC key, derived from the JWT key (HKDF, RFC 5869) so the room
    codes rotate and retire with the JWT keys, and a leaked code key reveals no JWT key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"attendance slot codes v1"
    ).derive(material)


def _load(row: SigningKey) -> LoadedKey:
    retired = row.retired_at is not None
    tag = hashlib.sha256(row.kid.encode()).digest()[0]
    if row.alg == "HS256":
        secret = base64.urlsafe_b64decode(row.secret.encode())
        return LoadedKey(row.kid, row.alg, secret, secret, retired, _code_secret(secret), tag)
    private = serialization.load_pem_private_key(row.secret.encode(), password=None)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return LoadedKey(
        row.kid, row.alg, private, private.public_key(), retired, _code_secret(raw), tag
    )


def _new_secret(alg: str) -> str:
    if alg == "HS256":
        return base64.urlsafe_b64encode(secrets.token_bytes(HS256_SECRET_BYTES)).decode()
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def create_key(session: Session, alg: str) -> SigningKey:
    if alg not in SIGNING_ALGORITHMS:
        raise DomainError(
            "SIGNING_ALG_UNSUPPORTED",
            "Algorithme de signature non pris en charge : choisissez "
            f"{' ou '.join(SIGNING_ALGORITHMS)}.",
            {"alg": alg},
        )
    row = SigningKey(kid=secrets.token_hex(8), alg=alg, secret=_new_secret(alg))
    session.add(row)
    session.flush()
    keyring().forget()
    return row


def rotate_keys(session: Session, alg: str) -> SigningKey:
    """A new key signs from now on; the previous ones are retired but still verify."""
    now = utcnow()
    for row in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
    return create_key(session, alg)


class KeyRing:
    """Keys cached per process. An unknown ``kid`` triggers a reload (another process may
    have rotated), at most once a second so forged kids cannot hammer the database."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_kid: dict[str, LoadedKey] = {}
        self._active: LoadedKey | None = None
        self._loaded_at = 0.0

    def forget(self) -> None:
        with self._lock:
            self._by_kid, self._active, self._loaded_at = {}, None, 0.0

    def _reload(self, session: Session) -> None:
        rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
        loaded = {row.kid: _load(row) for row in rows}
        active = [loaded[row.kid] for row in rows if row.retired_at is None]
        with self._lock:
            self._by_kid = loaded
            self._active = active[-1] if active else None
            self._loaded_at = time.monotonic()

    def active(self, session: Session, alg: str) -> LoadedKey:
        """The key that signs now; the first call on an empty database creates one."""
        if self._active is None or time.monotonic() - self._loaded_at > _CACHE_SECONDS:
            self._reload(session)
        if self._active is None:
            # First use on an empty database: the key is part of the caller's transaction and
            # is cached only once it has been committed (the next call reloads it).
            return _load(create_key(session, alg))
        return self._active

    def tagged(self, session: Session, tag: int) -> list[LoadedKey]:
        """The keys a slot code's tag byte may name (usually one), reloaded on a miss like
        ``get``."""
        found = [key for key in self._by_kid.values() if key.tag == tag]
        if not found and time.monotonic() - self._loaded_at > _MISS_RELOAD_SECONDS:
            self._reload(session)
            found = [key for key in self._by_kid.values() if key.tag == tag]
        return found

    def all(self, session: Session) -> list[LoadedKey]:
        """Every key that still verifies (a short code names none)."""
        if not self._by_kid or time.monotonic() - self._loaded_at > _CACHE_SECONDS:
            self._reload(session)
        return list(self._by_kid.values())

    def get(self, session: Session, kid: str) -> LoadedKey | None:
        key = self._by_kid.get(kid)
        if key is None and time.monotonic() - self._loaded_at > _MISS_RELOAD_SECONDS:
            self._reload(session)
            key = self._by_kid.get(kid)
        return key


def keyring() -> KeyRing:
    """One ring per application (so tests and databases never share a cache)."""
    return current_app.extensions.setdefault("signing_keys", KeyRing())
