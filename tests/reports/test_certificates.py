"""Certificat de réalisation (R13): hours from the engine, classes and corrections stated."""

from datetime import date

import pytest

from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from reports.certificates import certificate_for_trainee, certificate_pdf, certificates_for_order
from reports.period import Period
from tests.factories import (
    gen_correction,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_trainee,
    half_day,
    order_with,
)
from tests.reports.pdf_text import page_count, page_size_mm, pdf_text

MARCH = Period.month(date(2026, 3, 1))


def _march_trainee(org=None, **trainee_fields):
    """A trainee with, in March 2026: two centre half-days (3 h 30 each), one FAD half-day
    (arrived 30 min late) and one confirmed autoformation half-day (2 h)."""
    org, order, (composante,) = order_with(org, title="Soudure TIG")
    trainee = gen_trainee(org, last_name="Dupont", first_name="Marie", **trainee_fields)
    gen_pathway(trainee, composante)
    for day, kind, minutes, late in (
        (date(2026, 3, 2), "centre", 210, 0),
        (date(2026, 3, 3), "centre", 210, 0),
        (date(2026, 3, 4), "distance", 210, 30),
        (date(2026, 3, 5), "autoformation", 120, 0),
    ):
        slot = half_day(composante, day, kind=kind, minutes=minutes)
        gen_emargement(slot, trainee, late_minutes=late)
    db.session.commit()
    return org, order, composante, trainee


def test_certificate_states_trainee_period_hours_and_action_from_the_sign_ins(session):
    org, order, _, trainee = _march_trainee()
    pdf = certificate_pdf(session, org, order.id, trainee.id, MARCH)
    text = pdf_text(pdf)
    assert "Certificat de réalisation" in text
    assert "DUPONT Marie" in text
    assert "mars 2026" in text
    assert "du 02/03/2026 au 31/03/2026" in text
    # 210 + 210 + (210 - 30) + 120 = 720 minutes
    assert "durée réalisée de 12,00 h" in text
    assert "Soudure TIG" in text
    assert "☒ action de formation" in text
    assert org.name in text and org.siret in text
    assert "Correctif horaire" not in text
    assert page_count(pdf) == 1
    assert page_size_mm(pdf) == (210, 297)


def test_distance_and_autoformation_hours_are_stated_as_such(session):
    org, order, _, trainee = _march_trainee()
    text = pdf_text(certificate_pdf(session, org, order.id, trainee.id, MARCH))
    assert "dont en présentiel, au centre de formation 7,00 h" in text
    assert "dont à distance, en tutorat synchrone (FAD — classe virtuelle) 3,00 h" in text
    assert "dont en autoformation à distance (asynchrone) 2,00 h" in text


def test_certificate_whose_hours_include_a_correction_says_so(session):
    org, order, composante, trainee = _march_trainee()
    # The paper sheet of 3 March says 2 h instead of the 3 h 30 signed electronically.
    gen_correction(trainee, composante, date(2026, 3, 3), 120)
    db.session.commit()
    text = pdf_text(certificate_pdf(session, org, order.id, trainee.id, MARCH))
    assert "durée réalisée de 10,50 h, dont 2,00 h de corrections (feuilles papier, " in text
    assert (
        "Correctif horaire : ce total comprend 2,00 h issues de 1 correction exceptionnelle" in text
    )


def test_hours_the_trainer_entered_are_certified_apart_as_corrections(session):
    org, order, composante, trainee = _march_trainee()
    # Phone forgotten on 6 March: the trainer marked Marie present on the roster.
    gen_emargement(half_day(composante, date(2026, 3, 6)), trainee, method="trainer")
    db.session.commit()
    pdf = certificate_pdf(session, org, order.id, trainee.id, MARCH)
    text = pdf_text(pdf)
    assert page_count(pdf) == 1
    assert "durée réalisée de 15,50 h, dont 3,50 h de corrections" in text
    assert "saisies du formateur" in text
    assert "Correctif horaire : ce total comprend 3,50 h issues de 1 correction" in text


def test_a_correction_not_yet_validated_is_neither_counted_nor_announced(session):
    org, order, composante, trainee = _march_trainee()
    gen_correction(trainee, composante, date(2026, 3, 3), 120, validated=False)
    db.session.commit()
    text = pdf_text(certificate_pdf(session, org, order.id, trainee.id, MARCH))
    assert "durée réalisée de 12,00 h" in text
    assert "Correctif horaire" not in text


def test_absent_and_unconfirmed_autoformation_are_not_certified(session):
    org, order, (composante,) = order_with()
    trainee = gen_trainee(org)
    gen_pathway(trainee, composante)
    gen_emargement(half_day(composante, date(2026, 3, 2)), trainee, status="absent")
    gen_emargement(
        half_day(composante, date(2026, 3, 3), kind="autoformation", minutes=120),
        trainee,
        confirmed=False,
    )
    gen_emargement(half_day(composante, date(2026, 3, 4), minutes=180), trainee)
    db.session.commit()
    text = pdf_text(certificate_pdf(session, org, order.id, trainee.id, MARCH))
    assert "durée réalisée de 3,00 h" in text
    assert "autoformation" not in text.split("Modalité")[1].split("Total")[0]


def test_dates_are_the_period_clipped_to_the_pathway(session):
    org, order, (composante,) = order_with()
    trainee = gen_trainee(org)
    gen_pathway(
        trainee,
        composante,
        entry_date=date(2026, 3, 9),
        planned_exit_date=date(2026, 3, 20),
    )
    db.session.commit()
    text = pdf_text(certificate_pdf(session, org, order.id, trainee.id, MARCH))
    assert "du 09/03/2026 au 20/03/2026" in text
    assert "durée réalisée de 0,00 h" in text


def test_batch_data_reads_every_trainee_of_the_bdc_with_their_own_hours(session):
    org, order, (composante,) = order_with()
    first, second, outside = (gen_trainee(org) for _ in range(3))
    gen_pathway(first, composante)
    gen_pathway(second, composante)
    gen_pathway(
        outside, composante, entry_date=date(2026, 5, 4), planned_exit_date=date(2026, 6, 30)
    )
    slot = half_day(composante, date(2026, 3, 2))
    gen_emargement(slot, first)
    gen_emargement(slot, second, early_leave_minutes=60)
    db.session.commit()
    certificates = {c.trainee_id: c for c in certificates_for_order(session, org, order.id, MARCH)}
    assert set(certificates) == {first.id, second.id}  # no pathway nor hour in March: none
    assert certificates[first.id].total_minutes == 210
    assert certificates[second.id].total_minutes == 150


def test_trainee_certificate_covers_each_of_their_bdcs_on_its_own_page(session):
    org, order, composante, trainee = _march_trainee()
    _, other_order, (other,) = order_with(org, title="Anglais professionnel")
    gen_pathway(trainee, other)
    gen_emargement(half_day(other, date(2026, 3, 9), minutes=180), trainee)
    db.session.commit()
    pdf = certificate_for_trainee(session, org, trainee, MARCH)
    text = pdf_text(pdf)
    assert page_count(pdf) == 2
    assert "Soudure TIG" in text and "Anglais professionnel" in text
    assert order.number in text and other_order.number in text
    assert "durée réalisée de 12,00 h" in text and "durée réalisée de 3,00 h" in text


def test_trainee_of_another_organisation_is_not_found(session):
    org, _, _, trainee = _march_trainee()
    with pytest.raises(NotFound):
        certificate_for_trainee(session, gen_org(), trainee, MARCH)


def test_a_period_without_pathway_or_hours_is_refused_with_a_french_message(session):
    org, order, _, trainee = _march_trainee()
    with pytest.raises(DomainError) as caught:
        certificate_pdf(session, org, order.id, trainee.id, Period.month(date(2026, 9, 1)))
    assert caught.value.code == "NOTHING_TO_CERTIFY"
    assert "septembre 2026" in caught.value.message


def test_stamp_and_signature_images_are_printed_when_the_organisation_has_them(session):
    from tests.factories import tiny_png

    org, order, _, trainee = _march_trainee()
    org.signatory_title = "Directrice générale"
    pdf_plain = certificate_pdf(session, org, order.id, trainee.id, MARCH)
    org.stamp_png, org.signature_png = tiny_png((200, 0, 0)), tiny_png((0, 0, 200))
    db.session.commit()
    pdf_signed = certificate_pdf(session, org, order.id, trainee.id, MARCH)
    assert _image_count(pdf_plain) == 0
    assert _image_count(pdf_signed) == 2
    assert "Directrice générale" in pdf_text(pdf_signed)
    assert "Fait à : Toulouse" in pdf_text(pdf_signed)


def _image_count(content: bytes) -> int:
    import io

    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)
