"""The billing page: preview of a draft month, issuing, credit note, downloads, isolation."""

import pytest

from attendance.extensions import db
from attendance.models import Invoice
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_org,
    gen_user,
    presentiel_march,
    validate_month,
)


def _login(client, role="billing"):
    org, order = presentiel_march()
    user = gen_user(org, role)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    return org, order, user


def test_a_draft_month_is_shown_as_a_preview_without_an_issue_button(client, app):
    _, order, _ = _login(client)
    html = client.get(f"/facturation/{order.id}/2026-03").get_data(as_text=True)
    assert "Aperçu — mois non validé" in html
    assert "210,42" in html
    assert "Émettre la facture" not in html


def test_billing_staff_issue_then_credit_from_the_page(client, app):
    _, order, _ = _login(client)
    validate_month(order)
    db.session.commit()
    page = client.get(f"/facturation/{order.id}/2026-03").get_data(as_text=True)
    assert "Aperçu" not in page and "Émettre la facture" in page
    issued = client.post(
        f"/facturation/{order.id}/2026-03/emettre", data=csrf_form(client), follow_redirects=True
    )
    html = issued.get_data(as_text=True)
    assert "Pièce émise : FA-2026-0001" in html
    invoice = db.session.query(Invoice).one()
    pdf = client.get(f"/facturation/factures/{invoice.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    again = client.post(f"/facturation/{order.id}/2026-03/emettre", data=csrf_form(client))
    assert again.status_code == 409 and "déjà facturé" in again.get_data(as_text=True)
    note = client.post(
        f"/facturation/factures/{invoice.id}/avoir",
        data=csrf_form(client, {"motif": "Erreur"}),
        follow_redirects=True,
    )
    assert "Pièce émise : AV-2026-0001" in note.get_data(as_text=True)
    csv = client.get(f"/facturation/{order.id}/2026-03/lignes.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf")


def test_auditors_see_lines_but_cannot_issue(client, app):
    _, order, _ = _login(client, "auditor")
    validate_month(order)
    db.session.commit()
    assert "Émettre la facture" not in client.get(f"/facturation/{order.id}/2026-03").get_data(
        as_text=True
    )
    assert (
        client.post(f"/facturation/{order.id}/2026-03/emettre", data=csrf_form(client)).status_code
        == 403
    )


def test_another_organisations_bdc_and_invoice_are_not_found(client, app):
    _, order, _ = _login(client)
    validate_month(order)
    db.session.commit()
    client.post(f"/facturation/{order.id}/2026-03/emettre", data=csrf_form(client))
    invoice = db.session.query(Invoice).one()
    client.post("/logout", data=csrf_form(client))
    stranger = gen_user(gen_org(), "billing")
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": stranger.email, "password": PASSWORD}))
    assert client.get(f"/facturation/{order.id}/2026-03").status_code == 404
    assert client.get(f"/facturation/{order.id}/2026-03/lignes.xlsx").status_code == 404
    assert client.get(f"/facturation/factures/{invoice.id}.pdf").status_code == 404
    assert (
        client.post(
            f"/facturation/factures/{invoice.id}/avoir", data=csrf_form(client, {"motif": "x"})
        ).status_code
        == 404
    )


@pytest.mark.browser
def test_billing_staff_issue_an_invoice_in_a_real_browser(live_server, page, app):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    org, order = presentiel_march()
    user = gen_user(org, "billing")
    db.session.commit()
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/facturation")
    page.get_by_label("Mois").fill("2026-03")
    page.get_by_role("button", name="Afficher les lignes").click()
    page.wait_for_url(f"{live_server}/facturation/{order.id}/2026-03")
    assert "Aperçu — mois non validé" in page.locator("#preview").inner_text()
    assert page.locator("#total").inner_text().replace("\u202f", " ") == "210,42 €"
    assert page.get_by_role("button", name="Émettre la facture").count() == 0
    # The trainer and the billing staff close the month meanwhile; the test's session ends
    # its read first, as a new request would, so its writes queue behind the server's.
    db.session.rollback()
    validate_month(order)
    db.session.commit()
    page.reload()
    assert page.locator("#preview").count() == 0
    page.get_by_role("button", name="Émettre la facture").click()
    page.wait_for_selector("#issued")
    assert "prochain numéro FA-" in questions[-1]
    assert "seulement annulée par un avoir" in questions[-1]
    assert "FA-2026-0001" in page.locator("#issued").inner_text()
    assert page.locator("#invoice-number").inner_text() == "FA-2026-0001"
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").first.click()
    assert download.value.suggested_filename == "FA-2026-0001.pdf"
