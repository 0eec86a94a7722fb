"""Abuse at the edges: a trainer acting as billing, forged tokens, oversized bodies, forms
posted from another site, cookie flags and headers, an unreachable database.

HS/EdDSA algorithm confusion and ``alg: none`` on the token functions themselves are in
tests/signing/test_tokens.py (test_alg_none_is_refused, test_hs256_with_the_eddsa_public_key
…); here the same forgeries go through HTTP."""

import base64
import json

from sqlalchemy import select

from attendance import create_app
from attendance.extensions import db
from attendance.models import Emargement, Invoice, MonthPeriod
from attendance.signing.keys import rotate_keys
from attendance.signing.signins import issue_slot_qr, open_slot_code
from tests.api.helpers import assert_error, count
from tests.factories import (
    PASSWORD,
    bind_phone,
    csrf_form,
    gen_user,
    make_room,
    presentiel_march,
    signature_data_url,
    token_for,
    validate_month,
)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_trainer_cannot_act_as_billing(client, app):
    org, order = presentiel_march()
    validate_month(order)
    trainer = gen_user(org, "trainer")
    db.session.commit()
    headers = token_for(trainer)
    issued = client.post(
        "/api/billing/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=headers,
    )
    assert_error(issued, 403, "FORBIDDEN")
    reopened = client.post(
        f"/api/purchase-orders/{order.id}/months/2026-03/reopen", json={}, headers=headers
    )
    assert reopened.status_code in (403, 422)
    client.post("/login", data=csrf_form(client, {"email": trainer.email, "password": PASSWORD}))
    page = client.post(f"/facturation/{order.id}/2026-03/emettre", data=csrf_form(client))
    assert page.status_code == 403
    assert count(Invoice) == 0
    assert db.session.scalars(select(MonthPeriod.state)).all() == ["validated"]


def _page_ticket(room, credential) -> str:
    """The JWT a phone posts: the sign page's ticket, opened from the projected code."""
    code, _ = issue_slot_qr(db.session, room.slot)
    _, _, ticket = open_slot_code(db.session, code, credential, room.slot.id)
    db.session.commit()
    return ticket


def test_a_sign_in_token_with_alg_none_is_refused_over_http(client, app):
    app.config["SIGNING_COOKIE_SECURE"] = False
    room = make_room(n_trainees=1)
    credential = bind_phone(room.trainee)
    genuine = _page_ticket(room, credential)
    header, payload, _ = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    forged = f"{_b64({'alg': 'none', 'typ': 'signin+jwt', 'kid': kid})}.{_b64(claims)}."
    client.set_cookie("attendance_device", credential)
    response = client.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": forged, "signature": signature_data_url()},
    )
    assert response.get_json()["code"] == "TOKEN_INVALID"
    assert count(Emargement) == 0


def test_an_hs256_token_signed_with_the_eddsa_public_key_is_refused_over_http(client, app):
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    from attendance.signing.keys import keyring

    app.config["SIGNING_COOKIE_SECURE"] = False
    room = make_room(n_trainees=1)
    rotate_keys(db.session, "EdDSA")
    credential = bind_phone(room.trainee)
    genuine = _page_ticket(room, credential)
    header, payload, _ = genuine.split(".")
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    public_pem = (
        keyring()
        .get(db.session, kid)
        .verifying_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'signin+jwt', 'kid': kid})}.{payload}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    client.set_cookie("attendance_device", credential)
    response = client.post(
        "/api/signins",
        json={"slot_id": room.slot.id, "token": forged, "signature": signature_data_url()},
    )
    assert response.get_json()["code"] == "TOKEN_INVALID"
    assert count(Emargement) == 0


def test_an_oversized_body_gets_a_json_413_and_nothing_is_stored(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    room = make_room(n_trainees=1)
    body = {"slot_id": room.slot.id, "token": "x", "signature": "A" * (100 * 1024)}
    response = client.post("/api/signins", json=body)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    upload = client.post(
        "/api/imports/trainees",
        data={"file": (__import__("io").BytesIO(b"x" * (100 * 1024)), "big.csv")},
        headers=token_for(room.admin),
    )
    assert_error(upload, 413, "PAYLOAD_TOO_LARGE")
    assert count(Emargement) == 0


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(client, app):
    org, order = presentiel_march()
    validate_month(order)
    user = gen_user(org, "billing")
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    forged = client.post(f"/facturation/{order.id}/2026-03/emettre", data={})
    assert forged.status_code == 400
    assert "expiré" in forged.get_data(as_text=True)
    assert count(Invoice) == 0
    login = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert login.status_code == 400  # login CSRF too


def test_the_bearer_token_api_needs_no_csrf_token(client, app):
    org, order = presentiel_march()
    validate_month(order)
    user = gen_user(org, "billing")
    db.session.commit()
    issued = client.post(
        "/api/billing/invoices",
        json={"purchase_order_id": order.id, "month": "2026-03"},
        headers=token_for(user),
    )
    assert issued.status_code == 201


def test_pages_carry_the_security_headers_and_a_strict_csp(client, app):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    api = client.get("/api/openapi.json")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_cookies_are_secure_by_default_outside_tests(app, tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("SIGNING_COOKIE_SECURE", raising=False)
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SIGNING_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with production.app_context():
        response = production.test_client().get("/login", base_url="https://example.org")
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        db.session.remove()
        db.engine.dispose()


def test_the_demo_server_on_loopback_keeps_cookies_usable_over_http(monkeypatch):
    from attendance.cli import setup as cli

    calls = []
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("SIGNING_COOKIE_SECURE", raising=False)
    monkeypatch.setattr(cli.os, "execvp", lambda *args: calls.append(args))
    cli.serve_command.callback("127.0.0.1", 8000, 1)
    assert cli.os.environ["SESSION_COOKIE_SECURE"] == "0"
    assert "attendance.security.logs.RedactingLogger" in calls[0][1]


def test_an_unreachable_database_gives_a_json_503_not_a_500(tmp_path):
    """Nothing listens on port 9: the API answers SERVICE_UNAVAILABLE in French."""
    down = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://postgres@127.0.0.1:9/none",
            "SECRET_KEY": "test-secret-key-with-more-than-256-bits-of-entropy-0123456789",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    client = down.test_client()
    response = client.post("/api/auth/token", json={"email": "a@b.fr", "password": "x" * 12})
    body = assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert "réessayez" in body["message"]
    assert response.headers["Retry-After"]
    page = client.get("/i/some-invitation")
    assert page.status_code == 503 and "réessayez" in page.get_data(as_text=True)
