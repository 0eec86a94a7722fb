"""The staff pages at a phone's width (360 px) and on a desktop: the navigation folds into a
« Menu » that opens without a script, nothing widens the page (wide tables scroll inside
their card), and the current section is marked."""

import pytest

from attendance.extensions import db
from tests.factories import PASSWORD, gen_user, make_room, presentiel_march, synchronise_month

PHONE_WIDTH = 360


def _login(page, base, user) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/")


def _page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.browser
def test_at_360_px_the_menu_folds_and_no_page_is_wider_than_the_screen(live_server, page, app):
    org, order = presentiel_march()
    synchronise_month(order)
    billing = gen_user(org, "billing")
    room = make_room(n_trainees=3)
    db.session.commit()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    _login(page, live_server, billing)

    menu = page.get_by_role("navigation", name="Navigation principale")
    assert not menu.is_visible()
    page.get_by_text("Menu", exact=True).click()
    assert menu.is_visible()
    menu.get_by_role("link", name="Facturation").click()
    page.wait_for_url(f"{live_server}/facturation")
    page.get_by_text("Menu", exact=True).click()
    current = page.locator("nav#menu a[aria-current=page]")
    assert current.inner_text() == "Facturation"

    for path in (
        "/",
        "/heures",
        f"/mois/{order.id}/2026-03",
        f"/facturation/{order.id}/2026-03",
        f"/heures/{order.id}/2026-03",
        f"/documents/{order.id}/2026-03",
        "/compte/mot-de-passe",
        "/pas-de-page",
    ):
        page.goto(live_server + path)
        assert _page_width(page) <= PHONE_WIDTH, f"{path} is wider than {PHONE_WIDTH} px"

    page.get_by_role("link", name="Retour à l'accueil").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{live_server}/login")
    _login(page, live_server, room.trainer)
    page.goto(f"{live_server}/seances/{room.slot.id}")
    assert _page_width(page) <= PHONE_WIDTH, "the roster is wider than a phone"


@pytest.mark.browser
def test_on_a_desktop_the_menu_is_always_shown(live_server, page, app):
    org = presentiel_march()[0]
    billing = gen_user(org, "billing")
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 800})
    _login(page, live_server, billing)
    menu = page.get_by_role("navigation", name="Navigation principale")
    assert menu.is_visible()
    assert not page.get_by_text("Menu", exact=True).is_visible()
    assert menu.locator("a[aria-current=page]").inner_text() == "Accueil"
