"""Exports of the lines (CSV, xlsx) and the invoice PDF, read back as a user would."""

import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from attendance.extensions import db
from billing.exports import HEADERS, lines_csv, lines_xlsx
from billing.invoices import issue_credit_note, issue_invoice
from billing.lines import month_statement
from billing.numbering import run_with_retries
from billing.pdf import invoice_pdf
from tests.factories import ISSUED, MARCH, presentiel_march, validate_month


def test_csv_opens_in_french_excel_bom_semicolons_and_decimal_commas(app):
    org, order = presentiel_march()
    validate_month(order)
    content = lines_csv(month_statement(db.session, org, order.id, MARCH))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = [row.split(";") for row in content.decode("utf-8-sig").split("\r\n") if row]
    assert rows[0] == HEADERS
    line = dict(zip(HEADERS, rows[1], strict=True))
    assert line["Heures facturables"] == "16,83"
    assert line["Heures réalisées — Entreprise"] == "7,00"
    assert line["Prix unitaire HT (€)"] == "12,50"
    assert line["Montant HT (€)"] == "210,42"
    assert "Entreprise : 7,00 h" in line["Non facturé (motif)"]
    assert rows[2][HEADERS.index("Montant HT (€)")] == "210,42"
    assert "ROUND_HALF_UP" in rows[3][3]


def test_csv_of_a_draft_month_says_it_is_a_preview(app):
    org, order = presentiel_march()
    content = lines_csv(month_statement(db.session, org, order.id, MARCH, preview=True))
    assert "Aperçu — mois non validé" in content.decode("utf-8-sig")


def test_xlsx_holds_numbers_formatted_for_excel_and_a4_landscape_print(app):
    org, order = presentiel_march()
    validate_month(order)
    book = load_workbook(io.BytesIO(lines_xlsx(month_statement(db.session, org, order.id, MARCH))))
    sheet = book.active
    assert "Mois validé" in sheet["A1"].value
    header = [cell.value for cell in sheet[4]]
    assert header == HEADERS
    row = {h: cell for h, cell in zip(HEADERS, sheet[5], strict=True)}
    assert Decimal(str(row["Montant HT (€)"].value)) == Decimal("210.42")
    assert "€" in row["Montant HT (€)"].number_format
    assert float(row["Heures facturables"].value) == 16.83
    total = {h: cell.value for h, cell in zip(HEADERS, sheet[6], strict=True)}
    assert float(total["Montant HT (€)"]) == 210.42
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.freeze_panes == "D5"


def _invoice_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_invoice_pdf_text_carries_the_lines_totals_and_mentions(app):
    org, order = presentiel_march()
    validate_month(order)
    invoice = run_with_retries(
        db.session, lambda: issue_invoice(db.session, org, None, order.id, MARCH, issued_at=ISSUED)
    )
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    text = _invoice_text(pdf)
    assert "Facture n° FA-2026-0001" in text
    assert order.number in text
    assert "mars 2026" in text
    assert org.name in text
    siret = org.siret
    assert f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" in text
    assert "Région Occitanie" in text
    for figure in ("16,83 h", "23,83 h", "7,00 h", "12,50 €", "210,42 €"):
        assert figure in text, figure
    assert "TVA non applicable, art. 261-4-4° du CGI" in text
    assert "30 jours" in text
    assert "ROUND_HALF_UP" in text


def test_credit_note_pdf_shows_negative_figures_and_the_invoice_it_corrects(app):
    org, order = presentiel_march()
    validate_month(order)
    invoice = run_with_retries(
        db.session, lambda: issue_invoice(db.session, org, None, order.id, MARCH, issued_at=ISSUED)
    )
    note = run_with_retries(
        db.session, lambda: issue_credit_note(db.session, org, None, invoice.id, "Erreur d'heures")
    )
    text = _invoice_text(invoice_pdf(note, corrects=invoice))
    assert "Avoir n° AV-2026-0001" in text
    assert "FA-2026-0001" in text and "Erreur d'heures" in text
    assert "-210,42 €" in text and "-16,83 h" in text
