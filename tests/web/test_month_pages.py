"""The billing staff's month page in a real browser: synchronise, validate, download."""

import io

import pytest
from openpyxl import load_workbook

from attendance.extensions import db
from attendance.models import MonthPeriod, Slot, User
from attendance.models.types import utcnow
from tests.factories import PASSWORD, csrf_form, month_setting


def _login(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")


@pytest.mark.browser
def test_billing_staff_synchronise_validate_and_download_a_month(live_server, page, app):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    setting = month_setting()
    email = db.session.scalars(db.select(User.email).filter_by(role="billing")).one()
    _login(page, live_server, email)
    page.get_by_role("link", name="Mois").click()
    page.get_by_role("row", name="Mars 2026").get_by_role("link", name="Ouvrir").click()
    assert page.locator("[data-state]").inner_text() == "Brouillon"
    assert "Rien : toutes les séances sont signées" in page.content()

    page.get_by_role("button", name="Synchroniser").click()
    assert "nouvelle version enregistrée" in page.locator(".flash").inner_text()
    assert page.locator("[data-state]").inner_text() == "Synchronisé"
    assert "PETIT" in page.locator("table.declaration").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la déclaration (Excel)").click()
    download = download_info.value
    assert download.suggested_filename == "declaration_BDC-2026-42_2026-03_v1.xlsx"
    with open(download.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert book["Déclaration"]["A2"].value == "Martin"

    page.get_by_role("button", name="Valider le mois").click()
    assert page.locator("[data-state]").inner_text() == "Validé"
    assert "verrouille le mois : plus aucune modification" in questions[-1]
    assert page.get_by_role("button", name="Synchroniser de nouveau").count() == 0
    page.get_by_role("link", name="← Tous les mois du BDC").click()
    badge = page.get_by_role("row", name="Mars 2026").locator(".badge")
    assert badge.inner_text() == "Validé"
    assert "state-ok" in badge.get_attribute("class")
    assert setting.order.number == "BDC-2026-42"


@pytest.mark.browser
def test_blockers_are_shown_before_validation(live_server, page, app):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    setting = month_setting()
    setting.slots[1].validated_at = None
    db.session.commit()
    email = db.session.scalars(db.select(User.email).filter_by(role="billing")).one()
    _login(page, live_server, email)
    page.goto(f"{live_server}/mois/{setting.order.id}/2026-03")
    assert "séance non validée par le formateur" in page.locator("ul.blockers").inner_text()
    page.get_by_role("button", name="Synchroniser").click()
    validate = page.get_by_role("button", name="Valider le mois")
    assert validate.is_disabled()
    assert "séance non validée par le formateur" in page.locator("#validate-refused").inner_text()
    assert page.locator("[data-state]").inner_text() == "Synchronisé"

    # Each blocker is one click from where it is fixed: the slot's roster.
    page.locator("ul.blockers a").first.click()
    page.wait_for_url(f"{live_server}/seances/{setting.slots[1].id}")
    db.session.rollback()
    db.session.get(Slot, setting.slots[1].id).validated_at = utcnow()
    db.session.commit()

    page.goto(f"{live_server}/mois/{setting.order.id}/2026-03")
    assert "Rien : toutes les séances sont signées" in page.content()
    page.get_by_role("button", name="Synchroniser de nouveau").click()
    page.get_by_role("button", name="Valider le mois").click()
    assert questions[-1].startswith("Valider mars 2026 verrouille le mois : plus aucune")
    assert page.locator("[data-state]").inner_text() == "Validé"


def test_the_server_refuses_to_validate_a_month_with_blockers(client, app):
    setting = month_setting()
    setting.slots[1].validated_at = None
    db.session.commit()
    email = db.session.scalars(db.select(User.email).filter_by(role="billing")).one()
    client.post("/login", data=csrf_form(client, {"email": email, "password": PASSWORD}))
    url = f"/mois/{setting.order.id}/2026-03"
    client.post(url + "/synchroniser", data=csrf_form(client))
    page = client.post(url + "/valider", data=csrf_form(client), follow_redirects=True)
    assert "ne peut pas être validé" in page.get_data(as_text=True)
    db.session.rollback()
    period = db.session.scalars(db.select(MonthPeriod)).one()
    assert period.state == "synchronised"
