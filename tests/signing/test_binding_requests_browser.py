"""In Debian's Chromium, two people: a trainee's first-time phone (360×740) opens the slot's
projected code, picks their name and waits; the trainer approves from the roster on a
laptop, one tap; the phone goes on to sign. No console error on either side."""

import pytest
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import DeviceBindingRequest, Emargement, EvidenceEntry
from tests.factories import make_room
from tests.signing.test_browser import _draw, _login

pytestmark = pytest.mark.browser

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "user_agent": "Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
}


def _fresh(statement):
    db.session.rollback()  # see what the server threads committed
    return db.session.scalars(statement).all()


def test_a_first_time_phone_is_approved_from_the_roster_and_signs(
    app, browser_context, live_server
):
    room = make_room(n_trainees=3)
    trainee = room.trainees[1]
    laptop = browser_context(
        viewport={"width": 1280, "height": 800}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    phone = browser_context(**SMALL_PHONE)

    try:
        projector = _login(laptop, live_server, room.trainer)
        projector.goto(f"{live_server}/seances/{room.slot.id}/qr")
        projector.wait_for_selector("#qr[data-url]")
        code_url = projector.locator("#qr").get_attribute("data-url")
        roster = laptop.new_page()
        roster.goto(f"{live_server}/seances/{room.slot.id}")
        assert roster.locator("#binding-requests").is_hidden()

        # The phone was never bound: the slot's names, not a dead end.
        mine = phone.new_page()
        mine.goto(code_url)
        mine.wait_for_selector("text=Ce téléphone n'est pas encore enregistré")
        assert "borne" in mine.inner_text("main")
        names = mine.locator("#choices button")
        assert names.count() == 3
        mine.get_by_role(
            "button", name=f"C'est moi : {trainee.first_name} {trainee.last_name}"
        ).click()
        mine.wait_for_selector("text=En attente du formateur")
        assert mine.evaluate("document.documentElement.scrollWidth") <= 360

        # The roster, already open, shows the request by itself (polled); one tap approves.
        section = roster.locator("#binding-requests")
        section.locator("text=Téléphones à confirmer").wait_for(timeout=10_000)
        line = section.locator("tr[data-binding-request]")
        assert trainee.last_name.upper() in line.inner_text()
        line.get_by_role("button", name="Approuver").click()
        roster.wait_for_selector(f"text=Téléphone de {trainee.display_name} enregistré")
        assert roster.locator("#binding-requests").is_hidden()

        # The waiting phone notices by itself and opens the sign page.
        mine.wait_for_selector("button:has-text('Je signe ma présence')", timeout=15_000)
        assert f"Bonjour {trainee.first_name}" in mine.inner_text("main")
        _draw(mine, "canvas#signature")
        mine.click("button:has-text('Je signe ma présence')")
        mine.wait_for_selector("#done:not([hidden])")
        assert "Émargement enregistré à" in mine.inner_text("#done")

    finally:  # before the live server stops: the roster's polls would reach it gone
        laptop.close()
        phone.close()

    (signed,) = _fresh(select(Emargement))
    assert (signed.trainee_id, signed.method) == (trainee.id, "qr")
    (request,) = _fresh(select(DeviceBindingRequest))
    assert request.status == "approved" and request.decided_by_id == room.trainer.id
    (entry,) = _fresh(select(EvidenceEntry).where(EvidenceEntry.kind == "device_bound"))
    assert entry.payload["binding_request_id"] == request.id
    assert entry.payload["approved_by"] == room.trainer.id
    assert entry.payload["trainee_id"] == trainee.id
