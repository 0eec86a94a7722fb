"""Trainees and pathways pages: the list, the trainee page, the pathway form with each
rule's refusal placed next to its field, abandon and delete (R9), the dated history (R18)
and the import upload page (all or nothing, errors line by line)."""

import html as html_text
import io
import re
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Pathway, PathwayEvent, Trainee
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    validate_month,
)


def _login(client, role="billing", org=None):
    org = org or gen_org("Centre Garonne")
    user = gen_user(org, role)
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": user.email, "password": PASSWORD}))
    return org, user


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">([^<]*)<', html)
    return html_text.unescape(found.group(1)) if found else ""


def _pathway_form(client, pathway, **changes) -> dict:
    values = {
        "entry_date": pathway.entry_date.isoformat(),
        "planned_exit_date": pathway.planned_exit_date.isoformat(),
        "effective_exit_date": "",
        "prescribed_centre_minutes": str(pathway.prescribed_centre_minutes // 60),
        "prescribed_company_minutes": str(pathway.prescribed_company_minutes // 60),
        "status": pathway.status,
    }
    return csrf_form(client, {**values, **changes})


def test_list_searches_paginates_and_shows_each_trainees_pathways(client, app):
    org, _ = _login(client)
    order = gen_purchase_order(org, number="BDC-2026-42")
    composante = gen_composante(order, code="CP1")
    for n in range(55):
        gen_trainee(org, last_name=f"Martin{n:02d}", first_name="Léa")
    dupont = gen_trainee(org, last_name="Dupont", first_name="Ali", external_id="FT-991")
    gen_pathway(dupont, composante)
    gen_trainee(gen_org("Autre"), last_name="Dupont", first_name="Intrus")
    db.session.commit()

    html = client.get("/stagiaires").get_data(as_text=True)
    assert "56 stagiaires" in html and "page 1 sur 2" in html
    assert "DUPONT Ali" in html and "BDC-2026-42 / CP1 · Prévu" in html
    assert "Intrus" not in html
    second = client.get("/stagiaires?page=2").get_data(as_text=True)
    assert "MARTIN54" in second and "MARTIN00" not in second

    found = client.get("/stagiaires?q=ft-99").get_data(as_text=True)
    assert "1 stagiaire pour « ft-99 »" in found and "DUPONT Ali" in found


def test_trainers_read_trainees_without_forms_or_pathways(client, app):
    org, _ = _login(client, "trainer")
    trainee = gen_trainee(org, last_name="Petit")
    gen_pathway(trainee, gen_composante(gen_purchase_order(org, number="BDC-SECRET")))
    db.session.commit()
    assert "PETIT" in client.get("/stagiaires").get_data(as_text=True)
    html = client.get(f"/stagiaires/{trainee.id}").get_data(as_text=True)
    assert "BDC-SECRET" not in html and "Enregistrer la fiche" not in html
    assert client.get("/stagiaires/nouveau").status_code == 403
    assert (
        client.post(f"/stagiaires/{trainee.id}/supprimer", data=csrf_form(client)).status_code
        == 403
    )


def test_r15_aah_without_boe_is_refused_next_to_the_field(client, app):
    _login(client)
    form = csrf_form(client, {"last_name": "Roux", "first_name": "Inès", "aah": "on"})
    response = client.post("/stagiaires/nouveau", data=form)
    assert response.status_code == 422
    assert "obligatoirement BOE" in _field_error(response.get_data(as_text=True), "aah")
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == 0

    response = client.post("/stagiaires/nouveau", data={**form, "boe": "on"})
    assert response.status_code == 302
    trainee = db.session.scalars(select(Trainee)).one()
    assert (trainee.last_name, trainee.boe, trainee.aah) == ("Roux", True, True)


def test_editing_a_trainee_stores_the_corrected_identity(client, app):
    org, _ = _login(client)
    trainee = gen_trainee(org, last_name="Rous", first_name="Inès")
    db.session.commit()
    form = csrf_form(client, {"last_name": "Roux", "first_name": "Inès", "email": "bad"})
    response = client.post(f"/stagiaires/{trainee.id}", data=form)
    assert response.status_code == 422
    assert "Adresse e-mail invalide" in _field_error(response.get_data(as_text=True), "email")
    form["email"] = "ines.roux@example.org"
    assert client.post(f"/stagiaires/{trainee.id}", data=form).status_code == 302
    db.session.rollback()
    stored = db.session.get(Trainee, trainee.id)
    assert (stored.last_name, stored.email) == ("Roux", "ines.roux@example.org")


def test_pathway_rules_are_shown_next_to_their_fields(client, app):
    org, _ = _login(client)
    composante = gen_composante(gen_purchase_order(org))
    trainee = gen_trainee(org)
    db.session.commit()
    base = {
        "composante_id": str(composante.id),
        "entry_date": "2026-03-02",
        "planned_exit_date": "2026-07-03",
        "prescribed_centre_minutes": "180",
        "prescribed_company_minutes": "80",
    }
    response = client.post(f"/stagiaires/{trainee.id}/parcours", data=csrf_form(client, base))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "limitée à 70,00 h" in _field_error(html, "prescribed_company_minutes")  # R2
    response = client.post(
        f"/stagiaires/{trainee.id}/parcours",
        data=csrf_form(client, {**base, "prescribed_company_minutes": "30"}),
    )
    assert "limité à 200,00 h" in _field_error(
        response.get_data(as_text=True), "prescribed_centre_minutes"
    )
    response = client.post(
        f"/stagiaires/{trainee.id}/parcours",
        data=csrf_form(
            client,
            {
                **base,
                "entry_date": "2027-01-04",
                "planned_exit_date": "2027-03-01",
                "prescribed_company_minutes": "0",
            },
        ),
    )
    assert "Choisissez une date d'entrée en 2026" in _field_error(
        response.get_data(as_text=True), "entry_date"
    )
    assert db.session.scalar(select(func.count()).select_from(Pathway)) == 0

    ok = {**base, "prescribed_centre_minutes": "150,5", "prescribed_company_minutes": "35"}
    assert (
        client.post(f"/stagiaires/{trainee.id}/parcours", data=csrf_form(client, ok)).status_code
        == 302
    )
    pathway = db.session.scalars(select(Pathway)).one()
    assert pathway.prescribed_centre_minutes == 150 * 60 + 30


def test_moving_a_date_is_kept_in_the_history_shown_in_french(client, app):
    org, user = _login(client)
    pathway = gen_pathway(gen_trainee(org), gen_composante(gen_purchase_order(org)))
    db.session.commit()
    form = _pathway_form(client, pathway, planned_exit_date="2026-07-31", reason="Prolongation")
    assert client.post(f"/parcours/{pathway.id}", data=form).status_code == 302
    events = db.session.scalars(select(PathwayEvent).order_by(PathwayEvent.id)).all()
    assert [e.kind for e in events] == ["created", "dates_moved"]
    html = client.get(f"/parcours/{pathway.id}").get_data(as_text=True)
    assert "Dates déplacées" in html and "Sortie prévue : 03/07/2026 → 31/07/2026" in html
    assert "Prolongation" in html and user.full_name in html
    assert "Dates déplacées" in client.get(f"/stagiaires/{pathway.trainee_id}").get_data(
        as_text=True
    )


def test_a_validated_month_refuses_a_pathway_edit_next_to_the_field(client, app):
    org, _ = _login(client)
    order = gen_purchase_order(org)
    pathway = gen_pathway(gen_trainee(org), gen_composante(order))
    validate_month(order, date(2026, 3, 1))
    form = _pathway_form(client, pathway, prescribed_centre_minutes="160")
    response = client.post(f"/parcours/{pathway.id}", data=form)
    assert response.status_code == 422
    message = _field_error(response.get_data(as_text=True), "prescribed_centre_minutes")
    assert "Le mois de mars 2026 est validé" in message
    db.session.rollback()
    assert db.session.get(Pathway, pathway.id).prescribed_centre_minutes == 150 * 60


def test_abandon_and_delete_explain_r9(client, app):
    org, _ = _login(client)
    composante = gen_composante(gen_purchase_order(org))
    trainee = gen_trainee(org, last_name="Blanc")
    pathway = gen_pathway(trainee, composante)
    db.session.commit()

    form = csrf_form(client, {"exit_date": "2026-04-10", "reason": "Déménagement"})
    response = client.post(f"/parcours/{pathway.id}/abandon", data=form)
    assert response.status_code == 422
    assert "ce n'est pas un abandon" in _field_error(response.get_data(as_text=True), "exit_date")

    gen_emargement(gen_slot(composante), trainee)
    db.session.commit()
    assert client.post(f"/parcours/{pathway.id}/abandon", data=form).status_code == 302
    db.session.rollback()
    stored = db.session.get(Pathway, pathway.id)
    assert (stored.status, stored.effective_exit_date) == ("abandon", date(2026, 4, 10))

    response = client.post(
        f"/parcours/{pathway.id}/supprimer", data=csrf_form(client), follow_redirects=True
    )
    assert "Déclarez un abandon avec la date de sortie" in response.get_data(as_text=True)
    assert db.session.get(Pathway, pathway.id) is not None

    absent = gen_trainee(org, last_name="Vert")
    gen_emargement(gen_slot(composante), absent, status="absent", signed_at=None)
    db.session.commit()
    response = client.post(
        f"/stagiaires/{absent.id}/supprimer", data=csrf_form(client), follow_redirects=True
    )
    assert "a des traces de présence (1 émargement(s)" in response.get_data(as_text=True)
    assert db.session.get(Trainee, absent.id) is not None
    html = client.get(f"/stagiaires/{trainee.id}").get_data(as_text=True)
    assert 'data-confirm="Supprimer BLANC' in html


def test_a_trainee_without_records_is_deleted(client, app):
    org, _ = _login(client)
    trainee = gen_trainee(org)
    gen_pathway(trainee, gen_composante(gen_purchase_order(org)))
    db.session.commit()
    response = client.post(f"/stagiaires/{trainee.id}/supprimer", data=csrf_form(client))
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == 0


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(
        [
            "Nom",
            "Prénom",
            "E-mail",
            "BOE",
            "AAH",
            "BDC",
            "Composante",
            "Date d'entrée",
            "Date de sortie prévue",
            "Heures centre",
            "Heures entreprise",
        ]
    )
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_shows_each_wrong_line_and_writes_nothing(client, app):
    org, _ = _login(client)
    gen_composante(gen_purchase_order(org, number="BDC-7"), code="CP")
    db.session.commit()
    good = [
        "Nom",
        "Léa",
        "lea@example.org",
        "non",
        "non",
        "BDC-7",
        "CP",
        date(2026, 3, 2),
        date(2026, 6, 30),
        100,
        0,
    ]
    bad = [
        "Faux",
        "Jo",
        "",
        "peut-être",
        "non",
        "BDC-7",
        "CP",
        date(2026, 3, 2),
        date(2026, 6, 30),
        100,
        0,
    ]
    content = _workbook([good, bad])
    response = client.post(
        "/stagiaires/import",
        data=csrf_form(client, {"file": (io.BytesIO(content), "stagiaires.xlsx")}),
        content_type="multipart/form-data",
    )
    html = html_text.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "rien n'a été importé" in html
    assert re.search(r"<td class=\"num\">3</td><td>BOE</td><td>Ligne 3 : BOE : répondez oui", html)
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == 0

    template = client.get("/stagiaires/import/modele.xlsx")
    headers = [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]]
    assert headers[:3] == ["Nom", "Prénom", "Date de naissance"]
