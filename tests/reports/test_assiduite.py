"""Attestation d'assiduité (monthly): planned against realised hours, half-days, corrections."""

from datetime import date

import pytest

from attendance.errors import NotFound
from reports.assiduite import assiduite_pdf, attestations_for_order
from tests.factories import gen_org, march_group
from tests.reports.pdf_text import pdf_text

MARCH = date(2026, 3, 1)


def test_attestation_states_month_planned_realised_and_rate(session):
    org, order, _, _, dupont, _, _ = march_group()
    text = pdf_text(assiduite_pdf(session, org, order.id, dupont.id, MARCH))
    assert "Attestation d'assiduité" in text
    assert "DUPONT Marie" in text
    assert "mois de mars 2026" in text
    # planned: 3 h 30 + 3 h 30 (group slots) + 7 h (her company slot) = 14 h, all realised
    assert "Heures prévues au planning 14,00 h" in text
    assert "Total des heures réalisées 14,00 h" in text
    assert "Taux d'assiduité (réalisé / prévu) 100,0 %" in text
    assert "Demi-journées émargées présent 3" in text
    assert "Correctif horaire" not in text


def test_absence_and_correction_show_on_the_other_trainees_attestation(session):
    org, order, _, _, _, martin, _ = march_group()
    rows = {a.hours.trainee_id: a for a in attestations_for_order(session, org, order.id, MARCH)}
    mine = rows[martin.id]
    assert mine.scheduled_minutes == 420  # not expected at Dupont's company slot
    assert mine.hours.total_minutes == 190 + 120  # late 20 min; absent day corrected to 2 h
    assert (mine.half_days_present, mine.half_days_absent) == (1, 1)
    text = pdf_text(assiduite_pdf(session, org, order.id, martin.id, MARCH))
    assert "Demi-journées d'absence constatées 1" in text
    assert "Taux d'assiduité (réalisé / prévu) 73,8 %" in text
    assert "Correctif horaire : ces heures comprennent 2,00 h" in text


def test_assiduite_of_another_organisations_trainee_is_not_found(session):
    org, order, _, _, dupont, _, _ = march_group()
    with pytest.raises(NotFound):
        assiduite_pdf(session, gen_org(), order.id, dupont.id, MARCH)


def test_attestation_tells_justified_from_unjustified_absences_with_their_reason(session):
    from attendance.models import User
    from attendance.signing import absences

    org, order, _, trainer, _, martin, (_, remote, _) = march_group()
    trainer = session.get(User, trainer.id)
    absences.justify(
        session,
        remote,
        martin,
        trainer,
        {"justification": "justified", "justification_reason": "obligation_familiale"},
    )
    (mine,) = attestations_for_order(session, org, order.id, MARCH, martin.id)
    assert [(a.justification, a.reason) for a in mine.absences] == [
        ("justified", "Obligation familiale")
    ]
    text = pdf_text(assiduite_pdf(session, org, order.id, martin.id, MARCH))
    assert "dont absences justifiées 1" in text
    assert "dont absences non justifiées 0" in text
    assert "03/03/2026 13:30–17:00 Justifiée Obligation familiale" in text
