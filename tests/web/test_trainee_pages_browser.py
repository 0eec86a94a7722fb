"""Billing staff in a real browser: import 20 trainees from an xlsx (one wrong line shown,
nothing written, then fixed), then a validated month refuses a pathway edit in French,
next to the field."""

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Pathway, Trainee
from tests.factories import (
    PASSWORD,
    gen_composante,
    gen_org,
    gen_purchase_order,
    gen_user,
    validate_month,
)

HEADER = ["Nom", "Prénom", "E-mail", "BOE", "AAH", "BDC", "Composante", "Date d'entrée",
          "Date de sortie prévue", "Heures centre", "Heures entreprise"]  # fmt: skip


def _xlsx(path, bad_line: bool) -> str:
    book = Workbook()
    book.active.append(HEADER)
    for n in range(20):
        aah = "oui" if bad_line and n == 6 else "non"  # AAH without BOE (R15) on line 8
        book.active.append(
            [f"Stagiaire{n:02d}", "Léa", f"lea{n}@example.org", "non", aah, "BDC-2026-42",
             "CP1", date(2026, 3, 2), date(2026, 6, 30), 120, 10]
        )  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _count(model) -> int:
    db.session.rollback()  # a fresh read of what the server committed
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.browser
def test_billing_staff_import_trainees_then_a_validated_month_refuses_an_edit(
    live_server, page, app, tmp_path
):
    org = gen_org("Centre Garonne")
    billing = gen_user(org, "billing", email="facturation@garonne.example")
    order = gen_purchase_order(org, number="BDC-2026-42")
    gen_composante(order, code="CP1", contracted_centre_minutes=3000 * 60)
    db.session.commit()
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))

    page.goto(live_server + "/login")
    page.get_by_label("Adresse e-mail").fill(billing.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/stagiaires")
    page.get_by_role("link", name="Importer un fichier").click()

    page.get_by_label("Fichier à importer").set_input_files(_xlsx(tmp_path / "a.xlsx", True))
    page.get_by_role("button", name="Importer", exact=True).click()
    errors = page.locator("#import-errors")
    assert "rien n'a été importé" in errors.inner_text()
    row = errors.get_by_role("row", name="Ligne 8")
    assert row.locator("td").nth(1).inner_text() == "AAH"
    assert "obligatoirement BOE" in row.inner_text()
    assert _count(Trainee) == 0

    page.get_by_label("Fichier à importer").set_input_files(_xlsx(tmp_path / "b.xlsx", False))
    page.get_by_role("button", name="Importer", exact=True).click()
    assert "20 stagiaire(s) créé(s)" in page.locator("#import-result").inner_text()
    assert (_count(Trainee), _count(Pathway)) == (20, 20)

    validate_month(order, date(2026, 3, 1))
    page.get_by_role("link", name="Voir les stagiaires").click()
    page.get_by_label("Rechercher").fill("stagiaire07")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="STAGIAIRE07 Léa").click()
    page.locator("#pathways").get_by_role("link", name="Modifier").click()
    page.get_by_label("Heures prescrites en centre").fill("130")
    page.get_by_role("button", name="Enregistrer le parcours").click()
    message = page.locator("#e-prescribed_centre_minutes").inner_text()
    assert "Le mois de mars 2026 est validé" in message
    db.session.rollback()
    minutes = db.session.scalars(
        select(Pathway.prescribed_centre_minutes)
        .join(Trainee)
        .where(Trainee.last_name == "Stagiaire07")
    ).one()
    assert minutes == 120 * 60
