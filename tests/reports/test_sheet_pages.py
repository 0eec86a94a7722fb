"""A slot's sign-in sheet fits one A4 page up to 20 trainees, the trainer's box included
(issue « In the room »: 84 sheets printed on 168 pages)."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from attendance.extensions import db
from reports.sheets import slot_sheet_pdf
from tests.factories import enrol, gen_trainee, gen_user, half_day, order_with
from tests.factories.images import signature_png
from tests.factories.signing import gen_emargement


@pytest.mark.parametrize("trainees", [6, 20])
def test_a_slot_sheet_is_one_page_up_to_twenty_trainees(session, trainees):
    org, _, (composante,) = order_with(
        title="Soudure TIG",
        contracted_centre_minutes=5000 * 60,
        contracted_company_minutes=1000 * 60,
    )
    trainer = gen_user(org, "trainer", full_name="Claire Formatrice-Longuenom")
    people = [
        gen_trainee(org, last_name=f"Nom-Composé-{i:02d}", first_name="Marie-Christine")
        for i in range(trainees)
    ]
    enrol(composante, people)
    slot = half_day(composante, date(2026, 3, 2), trainer_id=trainer.id, title="Lecture de plans")
    slot.trainer_signature_png = signature_png()
    slot.validated_at = datetime(2026, 3, 2, 11, 35, tzinfo=UTC)
    for i, trainee in enumerate(people):
        gen_emargement(
            slot,
            trainee,
            signed_at=slot.starts_at + timedelta(minutes=i % 7),
            signature_png=signature_png(),
            late_minutes=15 if i == 3 else 0,
        )
    db.session.commit()
    pdf = slot_sheet_pdf(session, org, slot.id)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Signature du formateur" in text
    assert f"{trainees - 1:02d}" in text.upper().split("NOM-COMPOSÉ-")[-1][:2]
