"""Documents API: PDF downloads, the BDC zip, competence entry (R14), tenant isolation."""

import io
import zipfile

import pytest
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import CompetenceAssessment, Pathway
from tests.api.helpers import assert_error, count
from tests.factories import gen_org, gen_user, march_group, token_for
from tests.reports.pdf_text import pdf_text


@pytest.fixture
def world(session):
    org, order, composante, trainer, dupont, martin, slots = march_group()
    pathway = session.scalar(select(Pathway).filter_by(trainee_id=martin.id))
    return {
        "org": org,
        "order": order,
        "trainer": trainer,
        "dupont": dupont,
        "martin": martin,
        "pathway": pathway,
        "slots": slots,
        "billing": token_for(gen_user(org, "billing")),
    }


def _urls(w) -> list[str]:
    order, dupont, slot = w["order"].id, w["dupont"].id, w["slots"][0].id
    pathway = w["pathway"].id
    return [
        f"/api/documents/purchase-orders/{order}/trainees/{dupont}/certificate?from=2026-03",
        f"/api/documents/trainees/{dupont}/certificate?from=2026-03",
        f"/api/documents/purchase-orders/{order}/trainees/{dupont}/assiduite/2026-03",
        f"/api/documents/slots/{slot}/sheet",
        f"/api/documents/trainees/{dupont}/weeks/2026-W10/sheet",
        f"/api/documents/purchase-orders/{order}/documents.zip?from=2026-03",
        f"/api/documents/pathways/{pathway}/competences",
    ]


def test_certificate_download_is_a_pdf_naming_trainee_hours_and_period(client, world):
    response = client.get(_urls(world)[0], headers=world["billing"])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "DUPONT Marie" in text and "mars 2026" in text
    assert "durée réalisée de 14,00 h" in text


def test_trainee_certificate_endpoint_calls_the_same_service(client, world):
    response = client.get(_urls(world)[1], headers=world["billing"])
    text = pdf_text(response.data)
    assert "DUPONT Marie" in text and "durée réalisée de 14,00 h" in text


def test_each_pdf_endpoint_answers_a_pdf(client, world):
    for url in _urls(world)[2:5]:
        response = client.get(url, headers=world["billing"])
        assert response.status_code == 200, url
        assert response.data.startswith(b"%PDF-"), url


def test_batch_zip_holds_one_certificate_per_trainee_and_the_sheets(client, world):
    response = client.get(_urls(world)[5], headers=world["billing"])
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    certificates = [n for n in names if n.startswith("certificats/")]
    assert len(certificates) == 2
    assert len([n for n in names if n.startswith("assiduite/")]) == 2
    assert len([n for n in names if n.startswith("emargement/")]) == 3
    martin = next(n for n in certificates if "MARTIN" in n)
    text = pdf_text(archive.read(martin))
    assert "MARTIN Luc" in text and "Correctif horaire" in text


def test_batch_with_unknown_kind_is_refused_in_french(client, world):
    url = _urls(world)[5] + "&kinds=factures"
    body = assert_error(client.get(url, headers=world["billing"]), 422, "VALIDATION_ERROR")
    assert "Choisissez parmi" in str(body["details"])


def test_invalid_month_is_a_french_error(client, world):
    url = _urls(world)[0].replace("2026-03", "mars")
    body = assert_error(client.get(url, headers=world["billing"]), 400, "INVALID_MONTH")
    assert "AAAA-MM" in body["message"]


def test_trainer_enters_competences_and_the_attestation_prints_them(client, world):
    headers = token_for(world["trainer"])
    url = _urls(world)[6]
    payload = {
        "evaluation_results": "Épreuve pratique validée (15/20).",
        "skills": ["Régler un poste TIG", "Lire un plan de soudage"],
        "company_experience": "",
    }
    response = client.put(url, json=payload, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["skills"] == payload["skills"]
    stored = db.session.scalar(select(CompetenceAssessment))
    assert stored.assessed_by_id == world["trainer"].id
    assert client.get(url, headers=headers).get_json()["evaluation_results"].startswith("Épreuve")
    pdf = client.get(url + "/attestation", headers=world["billing"])
    text = pdf_text(pdf.data)
    assert "Attestation de compétences" in text and "MARTIN Luc" in text
    assert "Régler un poste TIG" in text and "Épreuve pratique validée (15/20)." in text
    assert "action de formation" in text
    assert "Heures en centre de formation 150,00 h 5,17 h" in text  # 190 + 120 corrected min
    assert "Correctif horaire" in text


def test_attestation_before_any_entry_is_refused_and_says_what_to_do(client, world):
    url = _urls(world)[6] + "/attestation"
    body = assert_error(client.get(url, headers=world["billing"]), 422, "COMPETENCES_NOT_ENTERED")
    assert "formateur" in body["message"]


def test_trainer_of_another_composante_cannot_enter_competences(client, world):
    stranger = token_for(gen_user(world["org"], "trainer"))
    response = client.put(
        _urls(world)[6], json={"evaluation_results": "x", "skills": []}, headers=stranger
    )
    assert_error(response, 403, "FORBIDDEN")
    assert count(CompetenceAssessment) == 0


def test_auditor_reads_documents_but_cannot_enter_competences(client, world):
    auditor = token_for(gen_user(world["org"], "auditor"))
    assert client.get(_urls(world)[0], headers=auditor).status_code == 200
    response = client.put(
        _urls(world)[6], json={"evaluation_results": "x", "skills": []}, headers=auditor
    )
    assert_error(response, 403, "FORBIDDEN")
    assert count(CompetenceAssessment) == 0


def test_trainer_gets_only_the_sheets_of_their_own_slots(client, world):
    own = token_for(world["trainer"])
    assert client.get(_urls(world)[3], headers=own).status_code == 200
    other = token_for(gen_user(world["org"], "trainer"))
    assert_error(client.get(_urls(world)[3], headers=other), 404, "NOT_FOUND")
    assert_error(client.get(_urls(world)[0], headers=own), 403, "FORBIDDEN")


def test_another_organisations_ids_give_404_on_every_documents_endpoint(client, world):
    intruder = token_for(gen_user(gen_org(), "admin"))
    for url in [*_urls(world), _urls(world)[6] + "/attestation"]:
        assert_error(client.get(url, headers=intruder), 404, "NOT_FOUND")
    response = client.put(
        _urls(world)[6], json={"evaluation_results": "x", "skills": ["y"]}, headers=intruder
    )
    assert_error(response, 404, "NOT_FOUND")
    assert count(CompetenceAssessment) == 0


def test_documents_need_a_token(client, world):
    assert_error(client.get(_urls(world)[0]), 401, "UNAUTHORIZED")
