"""Login for a bearer token; passwords are hashed."""

from attendance.accounts import change_password
from attendance.extensions import db
from attendance.models import ApiToken, User
from tests.api.helpers import assert_error
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user


def test_login_returns_a_token_that_opens_the_api(client, app):
    user = gen_user(gen_org(), "billing", email="compta@example.org")
    db.session.commit()
    response = client.post(
        "/api/auth/token", json={"email": "Compta@Example.org ", "password": PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    token = response.get_json()["token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["email"] == "compta@example.org" and me["role"] == "billing"
    stored = db.session.scalars(db.select(ApiToken)).one()
    assert token not in stored.token_hash  # only the digest is kept
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:")


def test_wrong_password_and_unknown_email_get_the_same_french_error(client, app):
    gen_user(gen_org(), "billing", email="compta@example.org")
    db.session.commit()
    wrong = client.post(
        "/api/auth/token", json={"email": "compta@example.org", "password": "not the password"}
    )
    unknown = client.post(
        "/api/auth/token", json={"email": "nobody@example.org", "password": PASSWORD}
    )
    assert_error(wrong, 401, "UNAUTHORIZED")
    assert wrong.get_json() == unknown.get_json()
    assert "mot de passe incorrect" in wrong.get_json()["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_unknown_api_route_and_wrong_method_answer_in_json(client, app):
    assert_error(client.get("/api/nothing-here"), 404, "NOT_FOUND")
    assert_error(client.put("/api/trainees"), 405, "METHOD_NOT_ALLOWED")


def test_a_password_change_revokes_the_api_tokens(client, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    headers = {"Authorization": f"Bearer {_token(client, user.email, PASSWORD)}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    change_password(db.session, db.session.get(User, user.id), "a brand new passphrase")
    db.session.commit()
    assert_error(client.get("/api/auth/me", headers=headers), 401, "UNAUTHORIZED")
    fresh = {"Authorization": f"Bearer {_token(client, user.email, 'a brand new passphrase')}"}
    assert client.get("/api/auth/me", headers=fresh).status_code == 200


def test_a_web_logout_leaves_the_api_tokens_alone(client, app):
    """Tokens are the API's own credentials (a script, an export job): logging out of the
    pages ends the browser sessions only."""
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    headers = {"Authorization": f"Bearer {_token(client, user.email, PASSWORD)}"}
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    client.post("/logout", data=csrf_form(client))
    assert client.get("/api/auth/me", headers=headers).status_code == 200


def _token(client, email, password):
    response = client.post("/api/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]
