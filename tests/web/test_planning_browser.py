"""Billing staff plan two weeks of slots as a series in a real browser, then read them in
the week view, this week and the next."""

import pytest

from attendance.extensions import db
from attendance.models import Slot
from tests.factories import PASSWORD, gen_room, gen_user, order_with


@pytest.mark.browser
def test_billing_staff_plan_two_weeks_of_mornings_as_a_series(live_server, page, app):
    org, _, [composante] = order_with(code="BUR", title="Bureautique")
    billing = gen_user(org, "billing")
    trainer = gen_user(org, "trainer", full_name="Claire Martin")
    room = gen_room(org, capacity=12, name="Salle Garonne")
    db.session.commit()

    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(billing.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/planning?semaine=2026-W11")
    page.get_by_role("link", name="Nouvelle série").click()

    page.get_by_label("Première semaine").fill("2026-03-09")
    page.get_by_label("Nombre de semaines").fill("2")
    page.locator('select[name="composante_id"]').select_option(label="BUR — Bureautique")
    page.locator('select[name="trainer_id"]').select_option(label="Claire Martin")
    page.locator('select[name="room_id"]').select_option(label=f"{room.label} (12 places)")
    page.get_by_label("Groupe", exact=True).fill("Groupe A")
    page.get_by_label("Début", exact=True).fill("09:00")
    page.get_by_label("Fin", exact=True).fill("12:30")
    page.get_by_role("button", name="Créer la série").click()

    assert page.locator(".flash.success").inner_text() == "10 séance(s) enregistrée(s)."
    assert "Planning — semaine du 09/03/2026" in page.locator("h1").inner_text()
    mornings = page.locator('tr[data-period="morning"] .slot-card')
    assert mornings.count() == 5
    assert "09:00–12:30" in mornings.first.inner_text()
    assert "Claire Martin" in mornings.first.inner_text()
    page.get_by_role("link", name="Semaine suivante →").click()
    assert "semaine du 16/03/2026" in page.locator("h1").inner_text()
    assert page.locator('tr[data-period="morning"] .slot-card').count() == 5
    assert page.locator('td[data-day="2026-03-20"] .slot-card').count() == 1

    db.session.rollback()
    slots = db.session.scalars(db.select(Slot)).all()
    assert len(slots) == 10
    assert {(s.trainer_id, s.room_id, s.site) for s in slots} == {
        (trainer.id, room.id, "Toulouse — Compans")
    }
