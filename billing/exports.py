"""The month's invoice lines as files: xlsx (for Excel and print) and CSV (Excel-friendly).

The CSV is what French Excel opens with a double click: UTF-8 with a BOM, ``;`` between
fields, decimal comma, CRLF line ends. Both files say whether the month is validated or a
preview, and state the rounding rule.
"""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from attendance.hours.classes import HOUR_CLASSES, LABELS_FR
from attendance.models.invoice import BILLING_UNITS_FR
from attendance.months.lock import month_label
from billing import pricing
from billing.lines import Line, Statement
from reports.spreadsheet import csv_text, header_footer_text, xlsx_text

HEADERS = [
    "Bon de commande",
    "Mois",
    "Code composante",
    "Composante",
    "Unité de facturation",
    *(f"Heures réalisées — {LABELS_FR[cls]}" for cls in HOUR_CLASSES),
    "Séances-groupe tenues",
    "Heures facturables",
    "Prix unitaire HT (€)",
    "Montant HT (€)",
    "Cumul heures facturées",
    "Cumul montant HT (€)",
    "Non facturé (motif)",
]
MONEY_COLUMNS = {"Prix unitaire HT (€)", "Montant HT (€)", "Cumul montant HT (€)"}


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(pricing.CENT, rounding=pricing.ROUNDING)


def _row(statement: Statement, line: Line) -> list:
    return [
        statement.order.number,
        statement.month.strftime("%Y-%m"),
        line.code,
        line.title,
        BILLING_UNITS_FR[line.billing_unit],
        *(_hours(line.realised_by_class.get(cls, 0)) for cls in HOUR_CLASSES),
        line.group_slots,
        _hours(line.billable_minutes),
        Decimal(line.unit_price).normalize(),
        line.amount,
        _hours(line.cumulative_billable_minutes),
        line.cumulative_amount,
        line.note,
    ]


def _status(statement: Statement) -> str:
    return statement.label if statement.preview else "Mois validé"


def _french(value) -> str:
    """A CSV field: numbers with a decimal comma, text made inert (reports.spreadsheet)."""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text and len(text.split(".")[1]) < 2:
            text = format(value.quantize(pricing.CENT), "f")
        return text.replace(".", ",")
    return str(value)


def lines_csv(statement: Statement) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for line in statement.lines:
        writer.writerow([_french(value) for value in _row(statement, line)])
    total = [""] * len(HEADERS)
    total[0], total[3] = statement.order.number, f"Total HT — {_status(statement)}"
    total[HEADERS.index("Montant HT (€)")] = statement.total_excl_vat
    total[HEADERS.index("Cumul montant HT (€)")] = statement.cumulative_total
    writer.writerow([_french(value) for value in total])
    writer.writerow(
        [_french(value) for value in (statement.order.number, "", "", statement.rounding_note)]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


THIN = Side(style="thin", color="999999")


def lines_xlsx(statement: Statement) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = statement.month.strftime("%Y-%m")
    title = (
        f"Lignes de facturation — {statement.order.number} — {month_label(statement.month)} "
        f"— {_status(statement)}"
    )
    sheet.append([xlsx_text(sheet, title)])
    sheet["A1"].font = Font(bold=True, size=13, color="B00020" if statement.preview else "000000")
    sheet.append([statement.rounding_note])
    sheet.append([])
    sheet.append(HEADERS)
    header_row = 4
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=THIN)
    for line in statement.lines:
        sheet.append(
            [xlsx_text(sheet, v) if isinstance(v, str) else v for v in _row(statement, line)]
        )
    sheet.append(
        ["Total HT", "", "", "", "", *[""] * len(HOUR_CLASSES), "", "", "", None, "", None, ""]
    )
    total_row = sheet.max_row
    amount_col = HEADERS.index("Montant HT (€)") + 1
    cumul_col = HEADERS.index("Cumul montant HT (€)") + 1
    sheet.cell(total_row, amount_col, statement.total_excl_vat)
    sheet.cell(total_row, cumul_col, statement.cumulative_total)
    for cell in sheet[total_row]:
        cell.font = Font(bold=True)
        cell.border = Border(top=THIN)
    for index, header in enumerate(HEADERS, start=1):
        letter = get_column_letter(index)
        number_format = '#,##0.00 "€"' if header in MONEY_COLUMNS else "0.00"
        if header in ("Séances-groupe tenues",):
            number_format = "0"
        for row in range(header_row + 1, total_row + 1):
            cell = sheet.cell(row, index)
            if index > 5 and header != "Non facturé (motif)":
                cell.number_format = number_format
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = (
            48 if header == "Non facturé (motif)" else (28 if header == "Composante" else 14)
        )
    sheet.freeze_panes = sheet.cell(header_row + 1, 4)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "Page &P / &N"
    sheet.oddHeader.left.text = header_footer_text(title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
