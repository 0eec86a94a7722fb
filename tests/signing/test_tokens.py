"""Typed JWTs (RFC 8725): pinned algorithm per key, typ and audience per kind, rotation."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import SigningKey
from attendance.signing import tokens
from attendance.signing.keys import keyring, rotate_keys


def _now() -> datetime:
    return datetime.now(UTC)


def _issue(kind=tokens.SLOT_LINK, claims=None, **kwargs):
    token, _ = tokens.issue(
        db.session,
        kind,
        claims or {"slot": 1, "org": 1},
        kwargs.pop("expires_at", _now() + timedelta(seconds=25)),
        **kwargs,
    )
    db.session.commit()
    return token


def _code(token, *kinds):
    with pytest.raises(DomainError) as caught:
        tokens.verify(db.session, token, *(kinds or (tokens.SLOT_LINK,)))
    return caught.value.code


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_fresh_token_verifies_with_its_claims_kid_and_typ(app):
    token = _issue()
    header = jwt.get_unverified_header(token)
    kind, claims = tokens.verify(db.session, token, tokens.SLOT_LINK)
    assert kind is tokens.SLOT_LINK and claims["slot"] == 1 and claims["org"] == 1
    assert header["typ"] == "slot-link+jwt" and header["alg"] == "HS256" and header["kid"]
    assert claims["aud"] == "attendance:slot-link"
    assert {"iat", "nbf", "exp", "jti"} <= claims.keys()


def test_hs256_secret_has_at_least_256_bits(app):
    _issue()
    row = db.session.query(SigningKey).one()
    assert len(base64.urlsafe_b64decode(row.secret)) * 8 >= 256


def test_expired_token_is_refused(app):
    token = _issue(now=_now() - timedelta(minutes=2), expires_at=_now() - timedelta(seconds=60))
    assert _code(token) == "TOKEN_EXPIRED"


def test_expiry_within_the_small_leeway_is_accepted(app):
    token = _issue(now=_now() - timedelta(seconds=30), expires_at=_now() - timedelta(seconds=2))
    tokens.verify(db.session, token, tokens.SLOT_LINK)


def test_not_yet_valid_token_is_refused(app):
    token = _issue(
        not_before=_now() + timedelta(minutes=5), expires_at=_now() + timedelta(minutes=9)
    )
    assert _code(token) == "TOKEN_NOT_YET_VALID"


def test_forged_signature_is_refused(app):
    token = _issue()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["slot"] = 2
    assert _code(f"{header}.{_b64(claims)}.{signature}") == "TOKEN_INVALID"
    assert (
        _code(
            jwt.encode(
                claims,
                "x" * 64,
                algorithm="HS256",
                headers={"kid": jwt.get_unverified_header(token)["kid"], "typ": "slot-link+jwt"},
            )
        )
        == "TOKEN_INVALID"
    )


def test_alg_none_is_refused(app):
    kid = jwt.get_unverified_header(_issue())["kid"]
    claims = {
        "slot": 1,
        "org": 1,
        "aud": "attendance:slot-link",
        "iat": int(_now().timestamp()),
        "nbf": int(_now().timestamp()),
        "exp": int(_now().timestamp()) + 30,
        "jti": "x",
    }
    unsigned = f"{_b64({'alg': 'none', 'typ': 'slot-link+jwt', 'kid': kid})}.{_b64(claims)}."
    assert _code(unsigned) == "TOKEN_INVALID"


def test_hs256_token_signed_with_an_eddsa_public_key_is_refused(app):
    """Algorithm confusion: the attacker knows the EdDSA public key and uses it as an HMAC
    secret; the key's pinned algorithm (EdDSA) refuses the HS256 header."""

    rotate_keys(db.session, "EdDSA")
    db.session.commit()
    token = _issue()
    kid = jwt.get_unverified_header(token)["kid"]
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    tokens.verify(db.session, token, tokens.SLOT_LINK)
    public_pem = (
        keyring()
        .get(db.session, kid)
        .verifying_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    claims = jwt.decode(token, options={"verify_signature": False})

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'slot-link+jwt', 'kid': kid})}.{_b64(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert _code(forged) == "TOKEN_INVALID"


def test_one_kind_never_passes_as_another(app):
    device_like = _issue(tokens.DEVICE, {"org": 1, "sub": "abc"})
    assert _code(device_like, tokens.SLOT_LINK) == "TOKEN_WRONG_KIND"
    invitation = _issue(tokens.INVITATION, {"org": 1, "sub": "1"})
    assert _code(invitation, tokens.DEVICE) == "TOKEN_WRONG_KIND"


def test_typ_header_swapped_to_another_kind_fails_on_audience(app):
    """A device token whose header is relabelled as a slot code still carries the device
    audience — and relabelling breaks the signature anyway."""
    token = _issue(tokens.DEVICE, {"org": 1, "sub": "abc"})
    _, payload, signature = token.split(".")
    kid = jwt.get_unverified_header(token)["kid"]
    header = _b64({"alg": "HS256", "typ": "slot-link+jwt", "kid": kid})
    relabelled = f"{header}.{payload}.{signature}"
    assert _code(relabelled) == "TOKEN_INVALID"


def test_unknown_kid_and_garbage_are_refused(app):
    token = _issue()
    _, payload, signature = token.split(".")
    assert (
        _code(
            f"{_b64({'alg': 'HS256', 'typ': 'slot-link+jwt', 'kid': 'nope'})}.{payload}.{signature}"
        )
        == "TOKEN_INVALID"
    )
    assert _code("not-a-jwt") == "TOKEN_INVALID"
    assert _code("") == "TOKEN_INVALID"


@pytest.mark.parametrize(
    "head",
    [
        "%%%",  # not base64
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
        _b64(["a", "list"]),  # JSON, not an object
        _b64({"alg": "HS256", "typ": ["slot-link+jwt"], "kid": "x"}),  # typ not a string
    ],
)
def test_malformed_headers_are_refused_as_invalid(app, head):
    payload, signature = _issue().split(".")[1:]
    assert _code(f"{head}.{payload}.{signature}") == "TOKEN_INVALID"


def test_key_rotation_keeps_codes_in_flight_and_signs_new_ones_with_the_new_key(app):
    before = _issue()
    old_kid = jwt.get_unverified_header(before)["kid"]
    new_key = rotate_keys(db.session, "HS256")
    db.session.commit()
    after = _issue()
    assert jwt.get_unverified_header(after)["kid"] == new_key.kid != old_kid
    tokens.verify(db.session, before, tokens.SLOT_LINK)  # still verifies: issued before rotation
    tokens.verify(db.session, after, tokens.SLOT_LINK)
    old = db.session.query(SigningKey).filter_by(kid=old_kid).one()
    assert old.retired_at is not None


def test_rotation_in_another_process_is_picked_up_by_kid(app):
    """A second server process rotates; this one has the old key cached and meets an unknown
    kid: it reloads the keys from the database instead of refusing."""

    tokens.verify(db.session, _issue(), tokens.SLOT_LINK)  # this process has the keys cached
    secret = secrets.token_bytes(48)
    other = SigningKey(
        kid="from-other-process", alg="HS256", secret=base64.urlsafe_b64encode(secret).decode()
    )
    db.session.add(other)  # written directly, as another process would: no cache reset here
    db.session.commit()
    token = jwt.encode(
        {
            "slot": 1,
            "org": 1,
            "aud": "attendance:slot-link",
            "iat": int(_now().timestamp()),
            "nbf": int(_now().timestamp()),
            "exp": int(_now().timestamp()) + 30,
            "jti": "j",
        },
        secret,
        algorithm="HS256",
        headers={"kid": "from-other-process", "typ": "slot-link+jwt"},
    )
    time.sleep(1.1)  # past the once-a-second reload throttle
    tokens.verify(db.session, token, tokens.SLOT_LINK)


def test_cli_rotate_and_list_keys(runner):
    result = runner.invoke(args=["keys", "rotate", "--alg", "EdDSA"])
    assert result.exit_code == 0 and "EdDSA" in result.output
    listed = runner.invoke(args=["keys", "list"])
    assert "EdDSA" in listed.output and "active" in listed.output
    assert "PRIVATE" not in listed.output
