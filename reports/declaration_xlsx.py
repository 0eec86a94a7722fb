"""The monthly declaration as an xlsx file billing staff can send or copy from.

Written in openpyxl's write-only mode (streamed rows) so 10,000 trainees stay fast; formatted
for Excel and print: frozen header, column widths, number and date formats, landscape A4
fitted to the page width, header row repeated on every printed page.
"""

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

HOURS_FORMAT = "0.00"
DATE_FORMAT = "DD/MM/YYYY"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F5FBF")
_TOTAL_FONT = Font(bold=True)
_FLAG_FILL = PatternFill("solid", fgColor="FDECEA")

# (header, key in the row, kind, width)
COLUMNS = [
    ("Nom", "last_name", "text", 18),
    ("Prénom", "first_name", "text", 16),
    ("Identifiant", "external_id", "text", 13),
    ("Composante", "composante_code", "text", 13),
    ("Entrée", "entry_date", "date", 11),
    ("Sortie prévue", "planned_exit_date", "date", 12),
    ("Sortie effective", "effective_exit_date", "date", 12),
    ("Statut", "status_label", "text", 12),
    ("Présentiel (h)", "presentiel_minutes", "hours", 11),
    ("FAD (h)", "fad_minutes", "hours", 9),
    ("Autoformation (h)", "autoformation_minutes", "hours", 13),
    ("dont hors plafond (h)", "autoformation_over_cap_minutes", "hours", 13),
    ("Regroupement (h)", "regroupement_minutes", "hours", 13),
    ("Total centre (h)", "centre_minutes", "hours", 12),
    ("Entreprise (h)", "company_minutes", "hours", 12),
    ("Absences (h)", "absence_minutes", "hours", 11),
    ("Correctifs (h)", "correction_minutes", "hours", 11),
    ("Alertes", "flags_text", "text", 40),
]
TOTAL_KEYS = [key for _, key, kind, _ in COLUMNS if kind == "hours"]
STATUS_LABELS = {
    "planned": "Prévu",
    "in_training": "En formation",
    "abandon": "Abandon",
    "completed": "Terminé",
}


def _cell(sheet, value, kind: str, font=None, fill=None):
    cell = WriteOnlyCell(sheet, value=value)
    if kind == "hours":
        cell.number_format = HOURS_FORMAT
    elif kind == "date":
        cell.number_format = DATE_FORMAT
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _value(row: dict, key: str, kind: str):
    if key == "status_label":
        return STATUS_LABELS.get(row.get("status"), row.get("status"))
    if key == "flags_text":
        return " ; ".join(row.get("flags") or []) or None
    value = row.get(key)
    if kind == "hours":
        return round((value or 0) / 60, 2)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _prepare(sheet, widths: list[int], title: str) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = title
    sheet.oddFooter.right.text = "Page &P / &N"


def write_declaration(rows: list[dict], grid: list[dict], days: list[date], title: str) -> bytes:
    """``rows``: one per trainee and composante (minutes as integers); ``grid``: per trainee
    and composante, realised minutes per ISO day; ``days``: the month's days in order."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Déclaration")
    _prepare(sheet, [width for *_, width in COLUMNS], title)
    header_style = {"font": _HEADER_FONT, "fill": _HEADER_FILL}
    sheet.append([_cell(sheet, header, "text", **header_style) for header, *_ in COLUMNS])
    totals = dict.fromkeys(TOTAL_KEYS, 0)
    for row in rows:
        fill = _FLAG_FILL if row.get("flags") else None
        sheet.append(
            [
                _cell(
                    sheet, _value(row, key, kind), kind, fill=fill if key == "flags_text" else None
                )
                for _, key, kind, _ in COLUMNS
            ]
        )
        for key in TOTAL_KEYS:
            totals[key] += row.get(key) or 0
    sheet.append(
        [
            _cell(
                sheet,
                "TOTAL"
                if key == "last_name"
                else (round(totals[key] / 60, 2) if kind == "hours" else None),
                kind,
                font=_TOTAL_FONT,
            )
            for _, key, kind, _ in COLUMNS
        ]
    )

    grid_sheet = book.create_sheet("Jour par jour")
    _prepare(grid_sheet, [18, 16, 13] + [6] * len(days) + [9], f"{title} — jour par jour")
    grid_sheet.append(
        [_cell(grid_sheet, h, "text", **header_style) for h in ("Nom", "Prénom", "Composante")]
        + [_cell(grid_sheet, f"{day:%d/%m}", "text", **header_style) for day in days]
        + [_cell(grid_sheet, "Total (h)", "text", **header_style)]
    )
    keys = [day.isoformat() for day in days]
    for line in grid:
        per_day = line.get("days", {})
        grid_sheet.append(
            [line.get("last_name"), line.get("first_name"), line.get("composante_code")]
            + [
                _cell(grid_sheet, round(per_day[k] / 60, 2) if per_day.get(k) else None, "hours")
                for k in keys
            ]
            + [_cell(grid_sheet, round(sum(per_day.values()) / 60, 2), "hours", font=_TOTAL_FONT)]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
