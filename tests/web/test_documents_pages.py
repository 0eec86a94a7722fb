"""Billing pages: a BDC month's documents, single downloads and the zip; tenants kept apart."""

import io
import zipfile

from attendance.extensions import db
from tests.factories import PASSWORD, csrf_form, gen_org, gen_user, march_group
from tests.reports.pdf_text import pdf_text


def _login(client, user):
    response = client.post(
        "/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD})
    )
    assert response.status_code == 302


def _world():
    org, order, _, _, dupont, martin, slots = march_group()
    billing = gen_user(org, "billing")
    db.session.commit()
    return org, order, billing, dupont, martin, slots


def test_month_page_lists_trainees_with_hours_and_links(client, app):
    _, order, billing, dupont, martin, slots = _world()
    _login(client, billing)
    html = client.get(f"/documents/{order.id}/2026-03").get_data(as_text=True)
    assert "DUPONT Marie" in html and "MARTIN Luc" in html
    assert "14,00 h" in html  # Dupont's realised hours
    assert f"/documents/{order.id}/2026-03/certificat/{dupont.id}.pdf" in html
    assert f"/documents/seance/{slots[0].id}.pdf" in html
    assert "documents.zip" in html


def test_certificate_downloaded_from_the_page_names_trainee_hours_and_period(client, app):
    _, order, billing, _, martin, _ = _world()
    _login(client, billing)
    response = client.get(f"/documents/{order.id}/2026-03/certificat/{martin.id}.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "MARTIN Luc" in text and "mars 2026" in text and "5,17 h" in text
    assert "Correctif horaire" in text


def test_page_zip_and_sheet_downloads(client, app):
    _, order, billing, dupont, _, slots = _world()
    _login(client, billing)
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/documents/{order.id}/2026-03/documents.zip").data)
    )
    assert len(archive.namelist()) == 2 + 2 + 3
    sheet = client.get(f"/documents/seance/{slots[0].id}.pdf")
    assert "Feuille d'émargement" in pdf_text(sheet.data)
    assiduite = client.get(f"/documents/{order.id}/2026-03/assiduite/{dupont.id}.pdf")
    assert "Attestation d'assiduité" in pdf_text(assiduite.data)


def test_another_organisations_documents_are_404_on_every_page(client, app):
    _, order, _, dupont, _, slots = _world()
    intruder = gen_user(gen_org(), "admin")
    db.session.commit()
    _login(client, intruder)
    for url in (
        f"/documents/{order.id}/2026-03",
        f"/documents/{order.id}/2026-03/certificat/{dupont.id}.pdf",
        f"/documents/{order.id}/2026-03/assiduite/{dupont.id}.pdf",
        f"/documents/seance/{slots[0].id}.pdf",
        f"/documents/{order.id}/2026-03/documents.zip",
    ):
        assert client.get(url).status_code == 404, url


def test_trainers_cannot_open_the_billing_documents_page(client, app):
    org, order, _, _, _, _ = _world()
    trainer = gen_user(org, "trainer")
    db.session.commit()
    _login(client, trainer)
    assert client.get(f"/documents/{order.id}/2026-03").status_code == 403
