"""The monthly declaration as an xlsx file billing staff can send or copy from.

Written in openpyxl's write-only mode (streamed rows) so 10,000 trainees stay fast; formatted
for Excel and print: frozen header, column widths, number and date formats, landscape A4
fitted to the page width, header row repeated on every printed page. The day grid's cells
keep Excel's General format (their values are already rounded to two decimals): a styled
cell costs openpyxl several times a plain one, and the grid holds most of the cells.
"""

import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from attendance.models import MonthDeclaration
from attendance.months import declaration as builder
from reports.spreadsheet import header_footer_text, text_into, xlsx_text

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
    ("SIRET", "siret", "text", 16),
    ("Site", "site", "text", 18),
    ("Entrée", "entry_date", "date", 11),
    ("Sortie prévue", "planned_exit_date", "date", 12),
    ("Sortie effective", "effective_exit_date", "date", 12),
    ("Statut", "status_label", "text", 12),
    ("Présentiel (h)", "presentiel_minutes", "hours", 11),
    ("FAD (h)", "fad_minutes", "hours", 9),
    ("Autoformation (h)", "autoformation_minutes", "hours", 13),
    ("dont hors plafond (h)", "autoformation_over_cap_minutes", "hours", 13),
    ("Regroupement (h)", "regroupement_minutes", "hours", 13),
    ("Entreprise (h)", "company_minutes", "hours", 12),
    ("Absences (h)", "absence_minutes", "hours", 11),
    ("Corrections (h)", "correction_minutes", "hours", 12),
    ("Alertes", "flags_text", "text", 40),
]
TOTAL_KEYS = [key for _, key, kind, _ in COLUMNS if kind == "hours"]
# The per-composante summary: each composante's figures and its own checks (R10).
COMPOSANTE_COLUMNS = [
    ("Composante", "composante_code", "text", 13),
    ("Stagiaires", "trainees", "count", 11),
    *[column for column in COLUMNS if column[2] == "hours"],
    ("Alertes", "flags_text", "text", 60),
]
STATUS_LABELS = {
    "planned": "Prévu",
    "in_training": "En formation",
    "abandon": "Abandon",
    "completed": "Terminé",
}


class _ReusedCell(Cell):
    """A styled cell reused for every row of a column: its style never changes, so its style
    index is looked up once instead of once per written cell."""

    __slots__ = ("_style_index",)

    def __repr__(self) -> str:
        # openpyxl formats this into an error message it then discards, once per cell.
        return "<ReusedCell>"

    @property
    def style_id(self):
        try:
            return self._style_index
        except AttributeError:
            self._style_index = Cell.style_id.fget(self)
            return self._style_index


def _reused(sheet, kind: str, font=None, fill=None) -> _ReusedCell:
    cell = _ReusedCell(sheet, row=1, column=1)
    _format(cell, kind, font, fill)
    return cell


def _format(cell, kind: str, font=None, fill=None):
    if kind == "hours":
        cell.number_format = HOURS_FORMAT
    elif kind == "date":
        cell.number_format = DATE_FORMAT
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _cell(sheet, value, kind: str, font=None, fill=None):
    cell = WriteOnlyCell(sheet)
    if kind == "text" and value is not None:
        text_into(cell, value)
    else:
        cell.value = value
    return _format(cell, kind, font, fill)


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
    sheet.oddHeader.center.text = header_footer_text(title)
    sheet.oddFooter.right.text = "Page &P / &N"


def write_declaration(
    rows: list[dict],
    grid: list[dict],
    days: list[date],
    title: str,
    composantes: Sequence[dict] = (),
) -> bytes:
    """``rows``: one per trainee and composante (minutes as integers); ``grid``: per trainee
    and composante, realised minutes per ISO day; ``days``: the month's days in order;
    ``composantes``: the per-composante summary (figures and R10 flags)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Déclaration")
    _prepare(sheet, [width for *_, width in COLUMNS], title)
    header_style = {"font": _HEADER_FONT, "fill": _HEADER_FILL}
    sheet.append([_cell(sheet, header, "text", **header_style) for header, *_ in COLUMNS])
    totals = dict.fromkeys(TOTAL_KEYS, 0)
    # openpyxl writes each appended row at once, so one styled cell per column is reused for
    # every row: the style is computed once per column instead of once per cell.
    templates = [
        _reused(sheet, kind) if kind in ("hours", "date") else None for _, _, kind, _ in COLUMNS
    ]
    flagged = _reused(sheet, "text", fill=_FLAG_FILL)
    for row in rows:
        values = []
        for (_, key, kind, _), template in zip(COLUMNS, templates, strict=True):
            value = _value(row, key, kind)
            if value is None:
                pass
            elif template is not None:
                template.value = value
                value = template
            elif key == "flags_text":
                value = text_into(flagged, value)
            else:
                value = xlsx_text(sheet, value)
            values.append(value)
        sheet.append(values)
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

    _write_composantes(book, composantes, title, header_style)

    grid_sheet = book.create_sheet("Jour par jour")
    _prepare(grid_sheet, [18, 16, 13] + [6] * len(days) + [9], f"{title} — jour par jour")
    grid_sheet.append(
        [_cell(grid_sheet, h, "text", **header_style) for h in ("Nom", "Prénom", "Composante")]
        + [_cell(grid_sheet, f"{day:%d/%m}", "text", **header_style) for day in days]
        + [_cell(grid_sheet, "Total (h)", "text", **header_style)]
    )
    keys = [day.isoformat() for day in days]
    total_cell = _reused(grid_sheet, "hours", font=_TOTAL_FONT)
    for line in grid:
        per_day = line.get("days", {})
        values = [
            xlsx_text(grid_sheet, line.get(key))
            for key in ("last_name", "first_name", "composante_code")
        ]
        for key in keys:
            minutes = per_day.get(key)
            values.append(round(minutes / 60, 2) if minutes else None)
        total_cell.value = round(sum(per_day.values()) / 60, 2)
        values.append(total_cell)
        grid_sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_composantes(book, composantes: Sequence[dict], title: str, header_style: dict):
    """A few lines: one per composante, plain cells."""
    sheet = book.create_sheet("Par composante")
    _prepare(sheet, [width for *_, width in COMPOSANTE_COLUMNS], f"{title} — par composante")
    sheet.append(
        [_cell(sheet, header, "text", **header_style) for header, *_ in COMPOSANTE_COLUMNS]
    )
    for line in composantes:
        sheet.append(
            [
                _cell(sheet, _value(line, key, kind), kind, fill=_FLAG_FILL)
                if key == "flags_text" and line.get("flags")
                else _cell(sheet, _value(line, key, kind), kind)
                for _, key, kind, _ in COMPOSANTE_COLUMNS
            ]
        )


def declaration_xlsx(declaration: MonthDeclaration) -> bytes:
    """The file of one frozen version of a month's declaration."""
    period = declaration.period
    title = f"{builder.title(period.purchase_order, period.month)} — version {declaration.version}"
    return write_declaration(
        declaration.rows,
        declaration.grid,
        builder.month_days(period.month),
        title,
        (declaration.totals or {}).get("composantes", []),
    )
