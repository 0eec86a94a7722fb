"""The staff home as a to-do list: a trainer finds yesterday's slot still to validate and
validates it from its roster; billing staff see every trainer's late slots."""

from datetime import timedelta

import pytest

from attendance import clock
from attendance.extensions import db
from attendance.models import Slot
from tests.factories import (
    PASSWORD,
    csrf_form,
    enrol,
    gen_slot,
    gen_trainee,
    gen_user,
    order_with,
)


def _at(days: int, hour: int = 9):
    """``hour`` o'clock Paris time, ``days`` from the local today (the machine runs UTC)."""
    return clock.at_local(clock.today() + timedelta(days=days), hour)


def _world():
    org, _order, (composante,) = order_with()
    trainer = gen_user(org, "trainer", full_name="Alice Formatrice")
    colleague = gen_user(org, "trainer", full_name="Bruno Collègue")
    billing = gen_user(org, "billing")
    enrol(composante, [gen_trainee(org, last_name="Petit", first_name="Léa")],
          entry_date=clock.today() - timedelta(days=30),
          planned_exit_date=clock.today() + timedelta(days=30))  # fmt: skip
    slots = {
        "yesterday": gen_slot(composante, _at(-1), trainer_id=trainer.id, title="Soudure"),
        "last_week": gen_slot(composante, _at(-7), trainer_id=colleague.id, title="Tournage"),
        "tomorrow": gen_slot(composante, _at(1), trainer_id=trainer.id, title="Fraisage"),
    }
    db.session.commit()
    return trainer, billing, slots


def _login(client, user):
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))


def test_billing_staff_see_every_trainers_late_slots_with_their_age_and_roster_link(client, app):
    _trainer, billing, slots = _world()
    _login(client, billing)
    html = client.get("/").get_data(as_text=True)
    awaiting = html[html.index('id="awaiting"') : html.index('id="upcoming"')]
    assert "Séances passées à valider (2)" in awaiting
    assert awaiting.index("Tournage") < awaiting.index("Soudure")  # oldest first
    assert "il y a 7 jours" in awaiting and "hier" in awaiting
    assert "Bruno Collègue" in awaiting
    assert f'href="/seances/{slots["yesterday"].id}"' in awaiting
    assert "Fraisage" not in awaiting


def test_a_trainer_sees_only_their_own_late_slots(client, app):
    trainer, _billing, _slots = _world()
    _login(client, trainer)
    html = client.get("/").get_data(as_text=True)
    awaiting = html[html.index('id="awaiting"') : html.index('id="upcoming"')]
    assert "Séances passées à valider (1)" in awaiting and "Soudure" in awaiting
    assert "Tournage" not in html


@pytest.mark.browser
def test_the_trainer_finds_yesterdays_slot_on_the_home_page_and_validates_it(
    live_server, page, app
):
    trainer, _billing, slots = _world()
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(trainer.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")

    late = page.locator("#awaiting li")
    assert late.count() == 1
    assert "Soudure" in late.inner_text() and "hier" in late.inner_text()
    late.get_by_role("link").click()
    page.wait_for_url(f"{live_server}/seances/{slots['yesterday'].id}")

    canvas = page.locator("canvas#trainer-signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 60 - (step % 3) * 20, steps=3)
    page.mouse.up()
    page.get_by_role("button", name="Signer et valider").click()
    page.wait_for_selector("#locked")
    assert "verrouille" in questions[-1]

    page.goto(live_server + "/")
    assert "Rien en retard" in page.locator("#awaiting").inner_text()
    db.session.rollback()
    assert db.session.get(Slot, slots["yesterday"].id).validated_at is not None
