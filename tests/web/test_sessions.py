"""Staff sessions: the login goes back only to a page of this site, and a session ends on
the server when its user logs out or changes password (a copied cookie is worth nothing)."""

import pytest

from attendance.accounts import change_password
from attendance.extensions import db
from attendance.models import User
from tests.factories import PASSWORD, csrf_form, gen_org, gen_purchase_order, gen_user

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def staff(app):
    org = gen_org()
    user = gen_user(org, "billing")
    order = gen_purchase_order(org)
    db.session.commit()
    return user, order


def _login(client, user, query="", password=PASSWORD):
    return client.post(
        "/login" + query, data=csrf_form(client, {"email": user.email, "password": password})
    )


def _copy_of(app, client):
    """Another browser holding the same session cookie (stolen, or kept from before)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


@pytest.mark.parametrize(
    "next_",
    [
        "/%09/evil.com",  # the browser drops the tab: //evil.com
        "//evil.com",
        "///evil.com",
        "/%5Cevil.com",
        "/\\evil.com",
        "/%5C/evil.com",
        "https://evil.com",
        "https:evil.com",
        "evil.com",
        "/%2F%2Fevil.com",
        "/%252F%252Fevil.com",
        "%2F%2Fevil.com",
        "/%0d%0a/evil.com",
        "/%0a/evil.com",
        "/%20/evil.com",
        "%09//evil.com",
        "/%E2%80%A8/evil.com",
        "/%00/evil.com",
        "",
    ],
)
def test_login_goes_home_unless_next_is_a_local_path(client, staff, next_):
    user, _ = staff
    response = _login(client, user, "?next=" + next_)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_goes_back_to_the_local_page_asked_for(client, staff):
    user, order = staff
    response = _login(client, user, f"?next=/mois/{order.id}%3Fx%3D1")
    assert response.headers["Location"] == f"/mois/{order.id}?x=1"


def test_the_login_page_keeps_the_page_asked_for(client, staff):
    user, order = staff
    asked = client.get(f"/mois/{order.id}?x=1")
    assert asked.status_code == 302
    response = _login(client, user, "?" + asked.headers["Location"].split("?", 1)[1])
    assert response.headers["Location"] == f"/mois/{order.id}?x=1"


def test_a_cookie_copied_before_logout_no_longer_opens_a_page(app, client, staff):
    user, order = staff
    _login(client, user)
    copy = _copy_of(app, client)
    assert copy.get(f"/mois/{order.id}").status_code == 200
    client.post("/logout", data=csrf_form(client))
    response = copy.get(f"/mois/{order.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_logging_in_again_after_logout_works(client, staff):
    user, _ = staff
    _login(client, user)
    client.post("/logout", data=csrf_form(client))
    _login(client, user)
    assert client.get("/").status_code == 200


def test_a_password_change_ends_the_other_sessions(app, client, staff):
    user, order = staff
    _login(client, user)
    copy = _copy_of(app, client)
    change_password(db.session, db.session.get(User, user.id), NEW_PASSWORD)
    db.session.commit()
    assert copy.get(f"/mois/{order.id}").status_code == 302
    assert client.get("/").status_code == 302


def test_the_password_page_keeps_this_session_and_ends_the_others(app, client, staff):
    user, order = staff
    _login(client, user)
    elsewhere = app.test_client()
    _login(elsewhere, user)
    page = client.get("/compte/mot-de-passe")
    assert page.status_code == 200
    response = client.post(
        "/compte/mot-de-passe",
        data=csrf_form(
            client,
            {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password_again": NEW_PASSWORD,
            },
        ),
    )
    assert response.status_code == 302
    assert client.get(f"/mois/{order.id}").status_code == 200
    assert elsewhere.get(f"/mois/{order.id}").status_code == 302
    assert _login(app.test_client(), user).status_code == 401
    assert _login(app.test_client(), user, password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "again", "expected"),
    [
        ("not the password", NEW_PASSWORD, NEW_PASSWORD, "Mot de passe actuel incorrect"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "ne sont pas identiques"),
        (PASSWORD, "short", "short", "au moins 10 caractères"),
    ],
)
def test_the_password_page_refuses_with_a_french_reason_and_changes_nothing(
    app, client, staff, current, new, again, expected
):
    user, _ = staff
    _login(client, user)
    copy = _copy_of(app, client)
    response = client.post(
        "/compte/mot-de-passe",
        data=csrf_form(
            client,
            {"current_password": current, "new_password": new, "new_password_again": again},
        ),
    )
    assert response.status_code in (400, 401, 422)
    assert expected in response.get_data(as_text=True)
    assert copy.get("/").status_code == 200  # nothing ended
    assert _login(app.test_client(), user).status_code == 302  # old password still good


def test_the_set_password_command_ends_sessions_and_api_tokens(app, client, runner, staff):
    user, _ = staff
    _login(client, user)
    raw_token = client.post(
        "/api/auth/token", json={"email": user.email, "password": PASSWORD}
    ).get_json()["token"]
    result = runner.invoke(args=["set-password", "--email", user.email, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Mot de passe changé" in result.output
    assert client.get("/").status_code == 302
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {raw_token}"})
    assert me.status_code == 401
