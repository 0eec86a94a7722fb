"""Feuilles d'émargement: per slot and per week and trainee, signatures and corrections."""

from datetime import date

import pytest

from attendance.errors import DomainError, NotFound
from reports.sheets import parse_week, sheet_lines, slot_sheet_pdf, week_sheet_pdf
from tests.factories import gen_org, gen_trainee, march_group
from tests.reports.pdf_text import page_size_mm, pdf_text


def _images(content: bytes) -> int:
    import io

    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)


def test_slot_sheet_lists_each_trainee_with_time_method_and_both_signatures(session):
    org, _, _, trainer, _, _, (morning, _, _) = march_group()
    pdf = slot_sheet_pdf(session, org, morning.id)
    text = pdf_text(pdf)
    assert "Feuille d'émargement" in text
    assert "Séance du 02/03/2026 — Matin, de 09:00 à 12:30" in text
    assert "DUPONT Marie Présent 09:03:12 QR code" in text
    assert "MARTIN Luc Présent retard 20 min 09:21:00 QR code" in text
    assert trainer.full_name in text
    assert "Séance validée le 02/03/2026 à 12:35" in text
    assert _images(pdf) == 2  # Dupont's signature and the trainer's
    assert page_size_mm(pdf) == (210, 297)  # portrait A4: one page up to 20 trainees


def test_slot_sheet_marks_the_correction_and_the_absence(session):
    org, _, _, _, _, _, (_, remote, _) = march_group()
    text = pdf_text(slot_sheet_pdf(session, org, remote.id))
    assert "Après-midi" in text
    assert "MARTIN Luc Absent motif : Malade" in text
    expected = "Correctif horaire validé : journée du 03/03/2026 portée à 2,00 h — Feuille papier"
    assert expected in text
    assert "Séance non validée par le formateur" in text
    assert "Non signée" in text


def test_expected_trainee_without_sign_in_is_listed_as_not_signed(session):
    org, order, composante, _, _, _, (morning, _, _) = march_group()
    late_comer = gen_trainee(org, last_name="Zola", first_name="Emile")
    from tests.factories import gen_pathway

    gen_pathway(late_comer, composante)
    lines = sheet_lines(session, org, [morning])
    assert [(line.trainee_name, line.status) for line in lines] == [
        ("DUPONT Marie", "present"),
        ("MARTIN Luc", "present"),
        ("ZOLA Emile", "missing"),
    ]


def test_week_sheet_has_every_half_day_of_the_trainee(session):
    org, _, _, trainer, dupont, _, _ = march_group()
    pdf = week_sheet_pdf(session, org, dupont.id, parse_week("2026-W10"))
    text = pdf_text(pdf)
    assert "DUPONT Marie — semaine du 02/03/2026 au 08/03/2026" in text
    assert "02/03/2026 Matin" in text
    assert "03/03/2026 Après-midi" in text
    assert "04/03/2026 Matin" in text and "Garage Occitan" in text
    assert "tuteur entreprise" in text and "lien (classe virtuelle)" in text
    assert "MARTIN" not in text
    assert _images(pdf) == 2  # her signature on 2 March and the trainer's on that slot


def test_week_sheet_marks_the_other_trainees_correction(session):
    org, _, _, _, _, martin, _ = march_group()
    text = pdf_text(week_sheet_pdf(session, org, martin.id, parse_week("2026-03-04")))
    assert "Correctif horaire validé : journée du 03/03/2026 portée à 2,00 h" in text
    assert "Garage Occitan" not in text


def test_week_parsing_accepts_iso_week_or_date_and_refuses_nonsense():
    assert parse_week("2026-W10") == date(2026, 3, 2)
    assert parse_week("2026-03-08") == date(2026, 3, 2)
    with pytest.raises(DomainError) as caught:
        parse_week("mars")
    assert caught.value.code == "INVALID_WEEK"


def test_sheets_of_another_organisation_are_not_found(session):
    org, _, _, _, dupont, _, (morning, _, _) = march_group()
    other = gen_org()
    with pytest.raises(NotFound):
        slot_sheet_pdf(session, other, morning.id)
    with pytest.raises(NotFound):
        week_sheet_pdf(session, other, dupont.id, date(2026, 3, 2))
