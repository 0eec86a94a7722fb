"""The demo tells the whole story in a real browser: billing staff take the month the demo
left ready, see its excess « non facturé » without being blocked, validate it, issue its
invoice and download the PDF — pages only, never the API."""

import io

import pytest
from pypdf import PdfReader

from attendance import clock
from attendance.demo import load_demo
from attendance.extensions import db
from attendance.french import month_fr
from tests.factories import PASSWORD


@pytest.mark.browser
def test_billing_staff_validate_and_invoice_the_demo_month_from_the_browser(live_server, page, app):
    load_demo(db.session, PASSWORD)
    db.session.commit()
    ready = clock.previous_month(clock.today())
    label = month_fr(ready).capitalize()
    called = []
    page.on("request", lambda request: called.append(request.url))
    questions = []

    def agree(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", agree)

    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill("billing@demo.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    page.get_by_role("link", name="Mois", exact=True).click()
    page.get_by_role("row", name=label).get_by_role("link", name="Ouvrir").click()

    excess = page.locator("#excess").inner_text()
    assert "R3" in excess and "non facturées" in excess and "peut être validé" in excess
    page.get_by_role("button", name="Synchroniser").click()
    page.get_by_role("button", name="Valider le mois").click()
    assert page.locator("[data-state]").inner_text() == "Validé"
    assert "verrouille le mois : plus aucune modification" in questions[-1]

    page.get_by_role("link", name="Facturer ce mois").click()
    assert "(mois validé)" in page.get_by_role("heading", name="Lignes du mois").inner_text()
    assert "plafond" in page.locator("#lines").inner_text()
    total = page.locator("#total").inner_text()
    page.get_by_role("button", name="Émettre la facture").click()
    assert "Émettre la facture" in questions[-1]
    number = page.locator("#invoice-number").inner_text()
    assert number.startswith("FA-")

    with page.expect_download() as download_info:
        page.locator("#issued, section").get_by_role("link", name="PDF").first.click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    with open(download.path(), "rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert number in text
    cents = total.split("\u202f")[-1].replace("\xa0", " ").split(" ")[0]  # « 500,44 »
    assert cents in text
    assert not [url for url in called if "/api/" in url]
