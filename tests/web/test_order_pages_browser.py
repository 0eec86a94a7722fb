"""Billing staff create a BDC with two composantes through the pages in Chromium; a rule
error is shown next to its field, then corrected."""

import pytest

from attendance.extensions import db
from attendance.models import Composante
from tests.factories import PASSWORD, gen_org, gen_user


@pytest.mark.browser
def test_billing_staff_create_a_bdc_with_two_composantes(live_server, page, app):
    user = gen_user(gen_org(), "billing")
    db.session.commit()
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")

    page.goto(live_server + "/bdc")
    page.get_by_role("link", name="Nouveau bon de commande").click()
    page.get_by_label("N° du bon de commande").fill("BDC-2026-501")
    page.get_by_label("Intitulé").fill("Compétences Plus Albi")
    page.get_by_label("Mode").select_option("hybride")
    page.get_by_label("Début prévu").fill("2026-09-01")
    page.get_by_label("Fin prévue").fill("2026-08-01")  # before the start: refused
    page.get_by_label("Sites").fill("Albi")
    page.get_by_role("button", name="Créer le bon de commande").click()
    error = page.locator('[data-field="planned_end"]')
    assert "précède la date de début" in error.inner_text()
    page.get_by_label("Fin prévue").fill("2027-06-30")
    page.get_by_role("button", name="Créer le bon de commande").click()
    assert "créé : ajoutez ses composantes" in page.locator(".flash").inner_text()

    form = page.locator("#new-composante")
    for code, hours in (("C1", "1 200"), ("C2", "800,5")):
        form.get_by_label("Code").fill(code)
        form.get_by_label("Intitulé").fill(f"Composante {code}")
        form.get_by_label("Heures centre contractualisées").fill(hours)
        form.get_by_label("Heures entreprise contractualisées").fill("100")
        form.get_by_label("Prix unitaire (€)").fill("12,50")
        form.get_by_role("button", name="Ajouter la composante").click()
        assert f"Composante « {code} » ajoutée." in page.locator(".flash").inner_text()
    assert page.locator("tr[data-composante]").count() == 2

    page.get_by_role("link", name="← Bons de commande").click()
    row = page.locator('tr[data-order="BDC-2026-501"]')
    assert "Hybride" in row.inner_text() and "Albi" in row.inner_text()
    assert row.locator("td.num").all_inner_texts() == ["2", "0"]
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Composante)) == 2
