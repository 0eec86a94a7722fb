"""An administrator sets up the organisation and a trainer account in a real browser; the
trainer activates the account through the e-mailed link; the certificate then carries the
signatory and the stamp set on the settings page."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from attendance.extensions import db
from tests.factories import (
    PASSWORD,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_trainee,
    gen_user,
    half_day,
    order_with,
    tiny_png,
)

TRAINER_PASSWORD = "formateur du centre"


def _log_in(page, live_server, email, password):
    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")


def _image_count(pdf: bytes) -> int:
    count = 0
    for pdf_page in PdfReader(io.BytesIO(pdf)).pages:
        objects = pdf_page["/Resources"].get("/XObject") or {}
        count += sum(1 for ref in objects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


@pytest.mark.browser
def test_an_admin_sets_up_the_organisation_and_a_trainer_account(
    live_server,
    page,
    chromium,
    app,
    smtp,
    tmp_path,
):
    org, order, (composante,) = order_with(gen_org(signatory_name="", signatory_title=""))
    admin = gen_user(org, "admin", email="admin@garonne.example")
    trainee = gen_trainee(org, last_name="Dupont", first_name="Marie")
    gen_pathway(trainee, composante)
    gen_emargement(half_day(composante, date(2026, 3, 2)), trainee)
    db.session.commit()
    stamp = tmp_path / "cachet.png"
    stamp.write_bytes(tiny_png((170, 20, 20), (160, 160)))
    page.on("dialog", lambda dialog: dialog.accept())
    console_errors = []
    page.on(
        "console",
        lambda m: (
            console_errors.append((m.text, m.location.get("url", "")))
            if m.type == "error"
            else None
        ),
    )

    _log_in(page, live_server, admin.email, PASSWORD)
    page.goto(live_server + "/parametres")
    page.get_by_label("Raison sociale").fill("Centre de Formation Garonne")
    page.get_by_label("SIRET (14 chiffres)").fill("732 829 320 00075")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator("#e-siret").inner_text().startswith("SIRET invalide")

    page.get_by_label("SIRET (14 chiffres)").fill("732 829 320 00074")
    page.get_by_label("Nom du signataire").fill("Claire Fabre")
    page.get_by_label("Qualité du signataire (ex. Directrice)").fill("Directrice")
    page.get_by_label("Cachet (PNG ou JPEG, 2 Mo au plus)").set_input_files(str(stamp))
    page.get_by_role("button", name="Enregistrer").click()
    assert "enregistrés" in page.get_by_role("status").inner_text()
    assert page.get_by_role("img", name="Cachet actuel").is_visible()

    page.get_by_role("link", name="Comptes du personnel").click()
    page.get_by_label("Nom affiché").fill("Marc Roux")
    page.get_by_label("Adresse e-mail").fill("marc@garonne.example")
    page.get_by_label("Rôle").select_option(label="formateur")
    page.get_by_role("button", name="Inviter").click()
    assert "marc@garonne.example" in page.get_by_role("status").inner_text()
    row = page.locator('tr[data-email="marc@garonne.example"]')
    assert "Invitation en attente" in row.inner_text()

    [mail] = smtp.to("marc@garonne.example")
    link = re.search(r"http://\S+/compte/activer/\S+", mail.body).group()
    trainer_context = chromium.new_context(locale="fr-FR")
    trainer_page = trainer_context.new_page()
    try:
        trainer_page.goto(link)
        trainer_page.get_by_label("Mot de passe (au moins 10 caractères)").fill(TRAINER_PASSWORD)
        trainer_page.get_by_label("Mot de passe, à nouveau").fill(TRAINER_PASSWORD)
        trainer_page.get_by_role("button", name="Enregistrer le mot de passe").click()
        assert "connectez-vous" in trainer_page.get_by_role("status").inner_text()
        _log_in(trainer_page, live_server, "marc@garonne.example", TRAINER_PASSWORD)
        assert "Marc Roux" in trainer_page.locator("header").inner_text()
        trainer_page.goto(link)  # the link served once
        assert "déjà servi" in trainer_page.content()
    finally:
        trainer_context.close()

    page.reload()
    assert "Actif" in page.locator('tr[data-email="marc@garonne.example"]').inner_text()
    url = f"{live_server}/documents/{order.id}/2026-03/certificat/{trainee.id}.pdf"
    response = page.request.get(url)
    assert response.status == 200
    pdf = response.body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Claire Fabre" in text and "Directrice" in text
    assert "Centre de Formation Garonne" in text and "73282932000074" in text
    assert _image_count(pdf) == 1  # the stamp (no signature image was uploaded)
    # The first submission was refused with 422 on purpose; nothing else (a CSP violation…).
    # The favicon is not this page's business (the shell serves one).
    unexpected = [e for e in console_errors if "422" not in e[0] and "favicon" not in e[1]]
    assert unexpected == []
