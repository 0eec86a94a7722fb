"""The navigation bar: each role sees the sections it may use, only those this build serves,
with the current section marked."""

import re

import pytest

from attendance.extensions import db
from attendance.web import nav
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user


def _login(client, role: str) -> None:
    org = gen_org()
    user = gen_user(org, role)
    db.session.commit()
    response = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert response.status_code == 302


def _menu(client, path: str = "/") -> dict[str, bool]:
    """Label → whether it is marked as the current page."""
    html = client.get(path).get_data(as_text=True)
    nav = re.search(r'<nav id="menu".*?</nav>', html, re.S)
    assert nav, "every staff page has the navigation bar"
    links = re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav.group(0))
    return {label: bool(current) for current, label in links}


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "admin",
            {"Accueil", "Bons de commande", "Stagiaires", "Téléphones", "Planning", "Paramètres"},
            set(),
        ),
        (
            "billing",
            {"Accueil", "Bons de commande", "Stagiaires", "Planning", "Documentation API"},
            {"Paramètres", "Comptes"},
        ),
        ("auditor", {"Accueil", "Facturation", "Stagiaires"}, {"Paramètres", "Téléphones"}),
        (
            "trainer",
            {"Accueil", "Planning"},
            {"Facturation", "Conformité", "Paramètres", "Comptes", "Bons de commande"},
        ),
    ],
)
def test_each_role_sees_the_sections_it_may_use(client, app, role, shown, hidden):
    _login(client, role)
    menu = _menu(client)
    assert shown <= set(menu), menu
    assert not hidden & set(menu), menu


def test_a_section_this_build_does_not_serve_is_left_out(client, app, monkeypatch):
    missing = nav.Entry("Rubrique absente", "nowhere_pages.index")
    monkeypatch.setattr(nav, "ENTRIES", [*nav.ENTRIES, missing])
    _login(client, "admin")
    menu = _menu(client)
    assert "Rubrique absente" not in menu and "Bons de commande" in menu
    assert app.jinja_env.globals["has_endpoint"]("pages.home")
    assert not app.jinja_env.globals["has_endpoint"]("nowhere_pages.index")


def test_the_current_section_is_marked(client, app):
    _login(client, "billing")
    assert _menu(client, "/")["Accueil"] is True
    menu = _menu(client, "/facturation")
    assert menu["Facturation"] is True and menu["Accueil"] is False
    assert [label for label, current in menu.items() if current] == ["Facturation"]


def test_the_login_page_has_no_navigation_bar(client, app):
    html = client.get("/login").get_data(as_text=True)
    assert 'id="menu"' not in html
