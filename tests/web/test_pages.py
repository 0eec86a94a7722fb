"""Staff pages: login with a session cookie, then the home page of one's organisation."""

import pytest

from attendance.extensions import db
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_composante,
    gen_org,
    gen_purchase_order,
    gen_user,
)


def _staff(role="billing"):
    org = gen_org("Centre Garonne")
    user = gen_user(org, role, email=f"{role}@garonne.example")
    gen_composante(gen_purchase_order(org, number="BDC-2026-42", title="Compétences Plus Albi"))
    other = gen_org("Autre organisme")
    gen_purchase_order(other, number="BDC-AUTRE")
    db.session.commit()
    return user


def test_home_redirects_to_login_without_a_session(client, app):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_shows_the_organisations_orders_only(client, app):
    _staff()
    response = client.post(
        "/login",
        data=csrf_form(client, {"email": "billing@garonne.example", "password": PASSWORD}),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "BDC-2026-42" in html and "BDC-AUTRE" not in html
    assert "Se déconnecter" in html


def test_wrong_password_shows_a_french_error(client, app):
    _staff()
    response = client.post(
        "/login", data=csrf_form(client, {"email": "billing@garonne.example", "password": "faux"})
    )
    assert response.status_code == 401
    assert "mot de passe incorrect" in response.get_data(as_text=True)


def test_login_does_not_redirect_to_another_site(client, app):
    _staff()
    response = client.post(
        "/login?next=//evil.example/",
        data=csrf_form(client, {"email": "billing@garonne.example", "password": PASSWORD}),
    )
    assert response.headers["Location"] == "/"


def test_trainers_do_not_see_purchase_orders_on_the_home_page(client, app):
    _staff("trainer")
    response = client.post(
        "/login",
        data=csrf_form(client, {"email": "trainer@garonne.example", "password": PASSWORD}),
        follow_redirects=True,
    )
    assert "BDC-2026-42" not in response.get_data(as_text=True)


@pytest.mark.browser
def test_staff_logs_in_in_a_real_browser(live_server, page, app):
    _staff()
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Connexion"
    page.get_by_label("Adresse e-mail").fill("billing@garonne.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    assert "BDC-2026-42" in page.locator("table").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(live_server + "/login")
