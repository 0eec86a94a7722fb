"""What the settings page saves (signatory, stamp, signature) is what the certificate shows."""

import io
from datetime import date

from pypdf import PdfReader

from attendance.extensions import db
from attendance.organisations import remove_image, update_settings
from reports.certificates import certificate_pdf
from reports.period import Period
from tests.factories import (
    gen_emargement,
    gen_pathway,
    gen_trainee,
    half_day,
    order_with,
    signature_png,
    tiny_png,
)
from tests.reports.pdf_text import pdf_text

MARCH = Period.month(date(2026, 3, 1))


def _images(pdf: bytes) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        objects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for ref in objects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


def test_the_certificate_carries_the_signatory_stamp_and_signature_of_the_settings(app):
    org, order, (composante,) = order_with()
    trainee = gen_trainee(org)
    gen_pathway(trainee, composante)
    gen_emargement(half_day(composante, date(2026, 3, 2)), trainee)
    update_settings(
        db.session,
        org,
        {"signatory_name": "Hélène Marty", "signatory_title": "Gérante"},
        {"stamp": tiny_png((180, 0, 0), (120, 120)), "signature": signature_png()},
    )
    db.session.commit()
    pdf = certificate_pdf(db.session, org, order.id, trainee.id, MARCH)
    assert "Hélène Marty, Gérante" in pdf_text(pdf)
    assert _images(pdf) == 2

    remove_image(db.session, org, "signature")
    remove_image(db.session, org, "stamp")
    assert _images(certificate_pdf(db.session, org, order.id, trainee.id, MARCH)) == 0
