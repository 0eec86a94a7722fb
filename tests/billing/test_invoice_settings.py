"""An invoice prints the payment terms, mentions and signatory set in the organisation's
settings, as they were when it was issued."""

import io

from pypdf import PdfReader

from attendance.extensions import db
from attendance.organisations import update_settings
from billing.invoices import issue_invoice
from billing.numbering import run_with_retries
from billing.pdf import invoice_pdf
from tests.factories import ISSUED, MARCH, presentiel_march, validate_month


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_invoice_prints_the_settings_of_the_day_it_was_issued(app):
    org, order = presentiel_march()
    update_settings(
        db.session,
        org,
        {
            "payment_terms": "Virement à 45 jours fin de mois.",
            "invoice_mentions": "Déclaration d'activité n° 76 31 01234 31",
            "signatory_name": "Claire Fabre",
            "signatory_title": "Directrice",
        },
    )
    validate_month(order)
    invoice = run_with_retries(
        db.session, lambda: issue_invoice(db.session, org, None, order.id, MARCH, issued_at=ISSUED)
    )
    db.session.commit()
    update_settings(db.session, org, {"payment_terms": "Comptant.", "invoice_mentions": ""})
    db.session.commit()

    text = _text(invoice_pdf(invoice))
    assert "Virement à 45 jours fin de mois." in text and "Comptant" not in text
    assert "Déclaration d'activité n° 76 31 01234 31" in text
    assert "Claire Fabre, Directrice" in text
    assert "30 jours" not in text  # the former constant is gone
