"""The invoice or credit note as a PDF: A4, printable, real text (WeasyPrint).

Rendered from ``templates/billing/invoice_pdf.html`` with the figures the document froze at
issue, so the PDF of an invoice is the same whenever it is printed.
"""

from datetime import date, timedelta

from flask import render_template
from weasyprint import HTML

from attendance.clock import display, next_month
from attendance.french import hours_fr
from attendance.models import Invoice
from attendance.models.invoice import BILLING_UNITS_FR
from attendance.months.lock import month_label
from billing import pricing


def _period(month: date) -> str:
    last = next_month(month) - timedelta(days=1)
    return f"{month_label(month)} (du {month:%d/%m/%Y} au {last:%d/%m/%Y})"


def _siret(siret: str) -> str:
    """« 732 829 320 00074 »: SIREN in groups of three, then the NIC."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if len(siret) == 14 else siret


def invoice_html(invoice: Invoice, corrects: Invoice | None = None) -> str:
    return render_template(
        "billing/invoice_pdf.html",
        invoice=invoice,
        corrects=corrects,
        doc_title="Avoir" if invoice.kind == "credit_note" else "Facture",
        issued_on=display(invoice.issued_at, "%d/%m/%Y"),
        period=_period(invoice.month),
        siret=_siret(invoice.seller.get("siret", "")),
        units=BILLING_UNITS_FR,
        hours=hours_fr,
        euros=pricing.euros_fr,
        price=pricing.price_fr,
        rate=format(invoice.vat_rate.normalize(), "f").replace(".", ","),
        vat_mention=pricing.VAT_EXEMPT_MENTION_FR,
    )


def invoice_pdf(invoice: Invoice, corrects: Invoice | None = None) -> bytes:
    return HTML(string=invoice_html(invoice, corrects)).write_pdf()
