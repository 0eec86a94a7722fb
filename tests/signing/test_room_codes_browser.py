"""In Debian's Chromium, with a phone-sized browser: the projected QR is a short URL in a
small grid (read with zxing-cpp, as a phone camera would) and signs; the short code under
it, typed on the phone's home page, signs too."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import Emargement
from tests.factories import make_room
from tests.signing.test_browser import PHONE, _bind, _draw, _login

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
zxingcpp = pytest.importorskip("zxingcpp")


def _projected(page):
    """What a phone camera reads on the trainer's screen: the decoded QR code."""
    page.wait_for_selector("#qr svg")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator("#qr").screenshot())))
    assert found, "no QR code readable on the trainer's screen"
    return found[0]


def _sign_and_see_it_stored(sign, room):
    sign.wait_for_selector("button:has-text('Je signe ma présence')")
    _draw(sign, "canvas#signature")
    sign.click("button:has-text('Je signe ma présence')")
    sign.wait_for_selector("#done:not([hidden])")
    assert "Émargement enregistré à" in sign.inner_text("#done")
    db.session.rollback()  # see what the server threads committed
    signed = db.session.scalars(select(Emargement)).all()
    assert [(e.trainee_id, e.method) for e in signed] == [(room.trainee.id, "qr")]


def test_the_projected_qr_is_a_short_url_in_a_small_grid_and_signs(app, chromium, live_server):
    room = make_room(n_trainees=2)
    trainer = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    phone = chromium.new_context(**PHONE)
    try:
        projector = _login(trainer, live_server, room.trainer)
        projector.goto(f"{live_server}/seances/{room.slot.id}/qr")
        code = _projected(projector)
        version = int(code.extra["Version"])
        assert code.text.startswith(f"{live_server}/q/") and len(code.text) < 80
        assert 17 + 4 * version <= 41, f"{17 + 4 * version}×{17 + 4 * version} modules"
        short = projector.locator("#short-code")
        assert len(short.get_attribute("data-code")) == 6 and short.is_visible()

        sign = _bind(phone, live_server, room.trainee)
        sign.goto(code.text)
        assert f"/e/{room.slot.id}?t=" in sign.url  # the page's own ticket, for coming back
        _sign_and_see_it_stored(sign, room)
    finally:
        trainer.close()
        phone.close()


def test_the_short_code_typed_on_the_phone_s_home_page_signs(app, chromium, live_server):
    room = make_room(n_trainees=2)
    trainer = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    phone = chromium.new_context(**PHONE)
    try:
        projector = _login(trainer, live_server, room.trainer)
        projector.goto(f"{live_server}/seances/{room.slot.id}/qr")
        projector.wait_for_selector("#short-code[data-code]")
        shown = projector.inner_text("#short-code")  # « K7M 4QX »: typed as read

        home = _bind(phone, live_server, room.trainee)
        home.goto(f"{live_server}/e")
        home.get_by_label("Code affiché au tableau").fill(shown.lower())
        home.click('button:has-text("Ouvrir la page d\'émargement")')
        _sign_and_see_it_stored(home, room)

        wrong = phone.new_page()
        wrong.goto(f"{live_server}/e")
        wrong.get_by_label("Code affiché au tableau").fill("ZZZ ZZZ")
        wrong.click('button:has-text("Ouvrir la page d\'émargement")')
        wrong.wait_for_selector("text=Émargement impossible")
        assert "aucune séance en cours" in wrong.inner_text("main")
    finally:
        trainer.close()
        phone.close()
