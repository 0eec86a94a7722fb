"""End to end in Chromium: the trainer, on a phone-sized screen, marks a trainee absent on the
roster, justifies the absence (reason from the list, a real PDF attached); billing staff find
it from their home page, filter the month's absences, download the document, and the
attestation d'assiduité states the justified absence with its reason."""

import pytest
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import AbsenceJustification
from tests.factories import PASSWORD, gen_user, make_room, tiny_pdf
from tests.reports.pdf_text import pdf_text

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}


def _login(context, base, user):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_trainer_justifies_an_absence_and_billing_staff_find_it(
    app, browser_context, live_server, tmp_path
):
    room = make_room()
    absent = room.trainees[1]
    billing_user = gen_user(room.org, "billing")
    db.session.commit()
    certificate = tmp_path / "arret_de_travail.pdf"
    certificate.write_bytes(tiny_pdf())

    trainer = browser_context(**PHONE)
    page = _login(trainer, live_server, room.trainer)
    page.goto(f"{live_server}/seances/{room.slot.id}")
    row = page.locator(f"tr[data-trainee='{absent.id}']")
    row.locator("select[name=status]").select_option("absent")
    row.locator("button:has-text('Enregistrer')").click()
    page.wait_for_selector("#absences")
    assert "Absent" in page.locator(f"tr[data-trainee='{absent.id}']").inner_text()

    form = page.locator(f"#absences form[data-trainee='{absent.id}']")
    assert "À statuer" in form.locator("legend").inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], "the justification form is wider than a phone"
    form.locator("select[name=justification]").select_option("justified")
    form.locator("select[name=justification_reason]").select_option(label="Maladie")
    form.locator("input[name=document]").set_input_files(str(certificate))
    form.locator("button:has-text('Enregistrer la justification')").click()
    page.wait_for_selector(".flash.ok")
    form = page.locator(f"#absences form[data-trainee='{absent.id}']")
    assert "Justifiée · Maladie" in form.locator("legend").inner_text()
    assert form.locator("a:has-text('Justificatif joint')").count() == 1
    assert "Absence justifiée : maladie, Justificatif joint" in page.inner_text("main")
    db.session.rollback()  # see what the server thread committed
    stored = db.session.scalars(select(AbsenceJustification)).one()
    assert (stored.justification, stored.reason_code) == ("justified", "maladie")
    assert stored.document_type == "application/pdf"

    staff = browser_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    desk = _login(staff, live_server, billing_user)
    desk.locator("main").get_by_role("link", name="Documents", exact=True).click()
    desk.get_by_role("link", name="Absences du mois et justificatifs").click()
    desk.locator("#absence-filters").get_by_role("link", name="Justifiées", exact=True).click()
    desk.wait_for_url("**justification=justified")
    line = desk.locator("#absences tbody tr")
    assert line.count() == 1
    assert absent.display_name in line.inner_text() and "Maladie" in line.inner_text()
    with desk.expect_download() as download:
        line.get_by_role("link", name="Télécharger").click()
    assert download.value.path().read_bytes() == certificate.read_bytes()

    desk.locator("#absence-filters").get_by_role("link", name="Non justifiées", exact=True).click()
    desk.wait_for_url("**justification=unjustified")
    assert "Aucune absence non justifiée" in desk.inner_text("#absences")

    desk.get_by_role("link", name="← Documents du mois").click()
    trainee_row = desk.locator(f"#trainees tr[data-trainee='{absent.id}']")
    with desk.expect_download() as download:
        trainee_row.get_by_role("link", name="Attestation d'assiduité").click()
    text = pdf_text(download.value.path().read_bytes())
    assert "dont absences justifiées 1" in text
    assert "Justifiée Maladie" in text
