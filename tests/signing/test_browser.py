"""End to end in Debian's Chromium (Playwright): the trainer projects the rotating QR code,
a phone-sized browser bound to a trainee reads it, signs and sees the confirmation; the
roster shows the signature; validation locks the slot. Then the kiosk and a distance link."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp  # a test dependency: missing, the run fails instead of skipping
from PIL import Image
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import Emargement, Organisation, Slot
from attendance.signing import devices, kiosk
from attendance.signing.signins import issue_slot_link
from tests.factories import PASSWORD, make_room

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
}


def _fresh(statement):
    db.session.rollback()  # see what the server threads committed
    return db.session.scalars(statement).all()


def _login(context, base, user):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _draw(page, selector):
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 20 + step * 22, y + 100 - (step % 3) * 30, steps=3)
    page.mouse.up()


def _bind(context, base, trainee):
    db.session.rollback()  # a fresh snapshot: the server threads may have written since
    org = db.session.get(Organisation, trainee.organisation_id)
    _, token = devices.create_invitation(db.session, org, trainee, None)
    db.session.commit()
    page = context.new_page()
    page.goto(f"{base}/i/{token}")
    page.click("button:has-text('Enregistrer ce téléphone')")
    page.wait_for_selector("text=Téléphone enregistré")
    return page


def _read_projected_qr(page) -> str:
    """What a phone camera sees: a screenshot of the projected code, decoded."""
    page.wait_for_selector("#qr svg")
    image = Image.open(io.BytesIO(page.locator("#qr").screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code readable on the trainer's screen"
    return found[0].text


def test_phone_scans_projected_qr_signs_then_trainer_sees_and_validates(
    app, browser_context, live_server
):
    room = make_room(n_trainees=2)
    trainer = browser_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    phone = browser_context(**PHONE)
    try:
        projector = _login(trainer, live_server, room.trainer)
        projector.goto(f"{live_server}/seances/{room.slot.id}/qr")
        url = _read_projected_qr(projector)
        assert url.startswith(f"{live_server}/q/") and len(url) < 80

        sign = _bind(phone, live_server, room.trainee)
        sign.goto(url)
        sign.wait_for_selector("button:has-text('Je signe ma présence')")
        assert "Bureautique" in sign.content()
        _draw(sign, "canvas#signature")
        sign.click("button:has-text('Je signe ma présence')")
        sign.wait_for_selector("#done:not([hidden])")
        assert "Émargement enregistré à" in sign.inner_text("#done")
        # Coming back to the page keeps working after the code rotated: it reuses the ticket.
        assert "?t=" in sign.url and sign.url != url
        sign.reload()
        sign.wait_for_selector("text=Déjà signé")

        signed = _fresh(select(Emargement))
        assert len(signed) == 1 and signed[0].trainee_id == room.trainee.id
        assert signed[0].signature_png.startswith(b"\x89PNG")

        roster = trainer.new_page()
        roster.goto(f"{live_server}/seances/{room.slot.id}")
        row = roster.locator(f"tr[data-trainee='{room.trainee.id}']")
        assert "Signé" in row.inner_text()
        assert row.locator("img.sig").evaluate("img => img.complete && img.naturalWidth > 0")
        assert (
            "Non signé" in roster.locator(f"tr[data-trainee='{room.trainees[1].id}']").inner_text()
        )

        _draw(roster, "canvas#trainer-signature")
        questions = []
        roster.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
        roster.click("button:has-text('Signer et valider')")
        roster.wait_for_selector("#locked")
        assert "verrouillée" in roster.inner_text("#locked")
        assert "absents les stagiaires qui n'ont pas signé" in questions[0]
        assert roster.locator("form[action$='/marquer']").count() == 0
        assert "Absent" in roster.locator(f"tr[data-trainee='{room.trainees[1].id}']").inner_text()
        assert _fresh(select(Slot.validated_at).where(Slot.id == room.slot.id))[0] is not None

        # A latecomer scanning the code now finds the sheet closed.
        latecomer = browser_context(**PHONE)
        late_page = _bind(latecomer, live_server, room.trainees[1])
        late_page.goto(_read_projected_qr(projector))
        assert "l'émargement est clos" in late_page.inner_text("main")
        assert late_page.locator("#sign-form").count() == 0
        latecomer.close()
    finally:
        trainer.close()
        phone.close()


def test_kiosk_tablet_name_pin_and_signature(app, browser_context, live_server):
    room = make_room(n_trainees=2)
    kiosk.set_pin(db.session, room.org, room.trainees[1], "2468")
    db.session.commit()
    tablet = browser_context(
        viewport={"width": 820, "height": 1180}, has_touch=True, locale="fr-FR"
    )
    try:
        page = _login(tablet, live_server, room.trainer)
        page.goto(f"{live_server}/seances/{room.slot.id}")
        page.click("button:has-text('Passer cette tablette en borne')")
        page.wait_for_url(f"{live_server}/k")
        page.click(f"button[data-trainee='{room.trainees[1].id}']")
        page.fill("#pin", "2468")
        _draw(page, "canvas#signature")
        page.click("button:has-text('Je signe ma présence')")
        page.wait_for_selector("#kiosk-done:not([hidden])")
        assert "Au suivant" in page.inner_text("#kiosk-done")
        assert page.locator(f"button[data-trainee='{room.trainees[1].id}']").is_disabled()
        records = _fresh(select(Emargement))
        assert [(e.trainee_id, e.method) for e in records] == [(room.trainees[1].id, "kiosk")]
    finally:
        tablet.close()


def test_distance_link_signs_during_the_live_class(app, browser_context, live_server):
    room = make_room(
        kind="distance",
        online_url="https://visio.example.org/salle-3",
        starts_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    token = issue_slot_link(db.session, room.slot, room.trainee)
    db.session.commit()
    laptop = browser_context(**PHONE)
    try:
        page = laptop.new_page()
        page.goto(f"{live_server}/l/{token}")
        page.wait_for_selector("button:has-text('Je rejoins et je signe')")
        _draw(page, "canvas#signature")
        page.click("button:has-text('Je rejoins et je signe')")
        page.wait_for_selector("#done:not([hidden])")
        assert "Présence enregistrée" in page.inner_text("#done")
        link = page.locator("#done a")
        assert link.get_attribute("href") == "https://visio.example.org/salle-3"
        records = _fresh(select(Emargement))
        assert [(e.trainee_id, e.method) for e in records] == [(room.trainee.id, "link")]
        assert records[0].evidence["joined_at"]
    finally:
        laptop.close()
