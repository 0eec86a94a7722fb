"""Signed tokens of the sign-in flows, one kind per use.

RFC 8725: each kind has its own ``typ`` header and audience so one can never pass as another
(§3.11, §3.12); the algorithm is pinned by the key (``kid``), ``none`` and HS/EdDSA confusion
are refused (§3.1); times are checked with a small leeway. Every failure becomes a
``DomainError`` with its own code and a French message.
"""

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from flask import current_app
from sqlalchemy.orm import Session

from attendance.errors import DomainError
from attendance.models.types import utcnow
from attendance.signing.keys import keyring


@dataclass(frozen=True)
class TokenKind:
    typ: str
    audience: str
    label: str  # French, for messages


SIGNIN_TICKET = TokenKind("signin+jwt", "attendance:signin", "page d'émargement")
DEVICE = TokenKind("device+jwt", "attendance:device", "téléphone enregistré")
INVITATION = TokenKind("invitation+jwt", "attendance:invitation", "invitation")
SLOT_LINK = TokenKind("slot-link+jwt", "attendance:slot-link", "lien de séance à distance")
TUTOR = TokenKind("tutor+jwt", "attendance:tutor", "lien tuteur")
KIOSK = TokenKind("kiosk+jwt", "attendance:kiosk", "borne d'émargement")
KIOSK_CARD = TokenKind("card+jwt", "attendance:kiosk-card", "carte QR personnelle")
BINDING = TokenKind("binding+jwt", "attendance:binding", "code de demande d'enregistrement")

ALL_KINDS = (SIGNIN_TICKET, DEVICE, INVITATION, SLOT_LINK, TUTOR, KIOSK, KIOSK_CARD, BINDING)
_BY_TYP = {kind.typ: kind for kind in ALL_KINDS}


def _leeway() -> int:
    return int(current_app.config.get("SIGNING_LEEWAY_SECONDS", 5))


def issue(
    session: Session,
    kind: TokenKind,
    claims: dict,
    expires_at: datetime,
    *,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Sign ``claims`` as ``kind``; returns (token, jti)."""
    now = now or utcnow()
    key = keyring().active(session, current_app.config.get("SIGNING_ALG", "HS256"))
    jti = claims.get("jti") or secrets.token_urlsafe(12)
    payload = {
        **claims,
        "aud": kind.audience,
        "iat": int(now.timestamp()),
        "nbf": int((not_before or now).timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
    }
    token = jwt.encode(
        payload, key.signing_key, algorithm=key.alg, headers={"kid": key.kid, "typ": kind.typ}
    )
    return token, jti


def invalid(kind: TokenKind, why: str) -> DomainError:
    return DomainError(
        "TOKEN_INVALID",
        f"Ce {kind.label} n'est pas authentique : scannez le code affiché par le formateur.",
        {"reason": why},
        status=401,
    )


def expired(kind: TokenKind) -> DomainError:
    return DomainError(
        "TOKEN_EXPIRED",
        f"Ce {kind.label} a expiré : scannez le code actuellement affiché "
        "ou demandez un nouveau lien.",
        status=401,
    )


def not_yet_valid(kind: TokenKind) -> DomainError:
    return DomainError(
        "TOKEN_NOT_YET_VALID",
        f"Ce {kind.label} n'est pas encore valable : réessayez à l'heure de la séance.",
        status=401,
    )


def _unverified_header(token: str) -> dict | None:
    """The JOSE header, read only to pick the kind (``typ``) and the key (``kid``) before
    ``jwt.decode`` checks everything. PyJWT's own reader decodes the whole token, which
    would double the work of every sign-in."""
    head = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):
        return None
    return header if isinstance(header, dict) else None


def verify(session: Session, token: str, *kinds: TokenKind) -> tuple[TokenKind, dict]:
    """The claims of a genuine, current token of one of ``kinds``."""
    expected = kinds[0]
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise invalid(expected, "malformed")
    header = _unverified_header(token)
    if header is None:
        raise invalid(expected, "malformed")
    typ = header.get("typ")
    kind = _BY_TYP.get(typ) if isinstance(typ, str) else None
    if kind is None:
        raise invalid(expected, "typ")
    if kind not in kinds:
        raise DomainError(
            "TOKEN_WRONG_KIND",
            f"Ce code est un {kind.label}, pas un {expected.label} : utilisez le bon lien.",
            {"expected": expected.typ, "got": kind.typ},
            status=401,
        )
    key = keyring().get(session, str(header.get("kid", "")))
    if key is None:
        raise invalid(kind, "kid")
    if header.get("alg") != key.alg:  # `none` and HS/EdDSA confusion end here
        raise invalid(kind, "alg")
    try:
        claims = jwt.decode(
            token,
            key.verifying_key,
            algorithms=[key.alg],
            audience=kind.audience,
            leeway=timedelta(seconds=_leeway()),
            options={"require": ["exp", "iat", "nbf", "jti", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise expired(kind) from exc
    except jwt.ImmatureSignatureError as exc:
        raise not_yet_valid(kind) from exc
    except jwt.InvalidAudienceError as exc:
        raise DomainError(
            "TOKEN_WRONG_KIND", f"Ce code n'est pas un {kind.label} valable.", status=401
        ) from exc
    except jwt.PyJWTError as exc:
        raise invalid(kind, type(exc).__name__) from exc
    return kind, claims
