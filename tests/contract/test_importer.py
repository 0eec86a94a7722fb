"""The trainee import is bounded by what the file really holds: rows read lazily whatever
the sheet declares, at most 20,000 lines, a bounded unzipped size, and no control
character in a cell."""

import io
import time
import zipfile
from xml.sax.saxutils import escape

import pytest

from attendance.contract.importer import TEMPLATE_HEADERS, import_file
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import Trainee
from tests.factories import gen_composante, gen_org, gen_purchase_order

MAX_LINES = 20_000

ROW = [
    "Martin",
    "Léa",
    "",
    "",
    "",
    "K-1",
    "non",
    "non",
    "BDC-2026-7",
    "BUR",
    "02/03/2026",
    "03/07/2026",
    "150",
    "0",
]


@pytest.fixture
def org(app):
    org = gen_org()
    order = gen_purchase_order(org, number="BDC-2026-7")
    gen_composante(order, code="BUR", contracted_centre_minutes=3000 * 60)
    db.session.commit()
    return org


def _cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def _sheet_xml(rows, dimension: str, extra_rows: str = "") -> str:
    body = "".join(
        f'<row r="{n}">' + "".join(_cell(v) for v in row) + "</row>"
        for n, row in enumerate(rows, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{body}{extra_rows}</sheetData></worksheet>'
    )


def crafted_xlsx(rows, dimension: str = "A1:N3", extra_rows: str = "", extra_files=()) -> bytes:
    """An xlsx built by hand, so its ``<dimension>`` can lie about the sheet's size."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Stagiaires" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": _sheet_xml(rows, dimension, extra_rows),
        **dict(extra_files),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _refusal(org, name: str, content: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        import_file(db.session, org, name, content)
    db.session.rollback()
    return caught.value


def test_a_sheet_declaring_a_huge_dimension_is_read_as_what_it_holds(org):
    """The review's file: a few KB declaring A1:XFD100000, its row far below the header."""
    far_row = '<row r="15000">' + "".join(_cell(value) for value in ROW) + "</row>"
    content = crafted_xlsx([TEMPLATE_HEADERS], dimension="A1:XFD100000", extra_rows=far_row)
    assert len(content) < 5_000
    started = time.monotonic()
    result = import_file(db.session, org, "liste.xlsx", content)
    assert time.monotonic() - started < 2
    assert result["trainees_created"] == 1 and result["pathways_created"] == 1


def test_columns_beyond_the_template_are_ignored(org):
    wide = [*TEMPLATE_HEADERS, *[""] * 40, "Remarque"]
    content = crafted_xlsx([wide, [*ROW, *[""] * 40, "x"]], dimension="A1:XFD2")
    assert import_file(db.session, org, "liste.xlsx", content)["pathways_created"] == 1


def test_more_than_20000_lines_are_refused_before_any_row_is_imported(org):
    rows = "".join(
        f'<row r="{n}"><c t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(2, MAX_LINES + 3)
    )
    content = crafted_xlsx([TEMPLATE_HEADERS], dimension="A1:N2", extra_rows=rows)
    started = time.monotonic()
    refusal = _refusal(org, "liste.xlsx", content)
    assert time.monotonic() - started < 5
    assert (refusal.code, refusal.status) == ("IMPORT_TOO_MANY_LINES", 422)
    assert "Le fichier dépasse 20 000 lignes" in refusal.message
    csv = ";".join(TEMPLATE_HEADERS) + "\n" + (";".join(ROW) + "\n") * (MAX_LINES + 1)
    refusal = _refusal(org, "liste.csv", csv.encode())
    assert refusal.code == "IMPORT_TOO_MANY_LINES"
    assert db.session.query(Trainee).count() == 0


def test_a_far_away_row_does_not_make_the_reader_walk_the_gap(org):
    lone = '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>'
    content = crafted_xlsx([TEMPLATE_HEADERS, ROW], dimension="A1:N2", extra_rows=lone)
    started = time.monotonic()
    refusal = _refusal(org, "liste.xlsx", content)
    assert time.monotonic() - started < 2
    assert refusal.code == "IMPORT_TOO_MANY_LINES"


def test_a_file_unzipping_to_more_than_the_limit_is_refused_unread(org):
    bomb = ("xl/media/padding.bin", "0" * 60_000_000)
    content = crafted_xlsx([TEMPLATE_HEADERS, ROW], extra_files=[bomb])
    assert len(content) < 200_000
    refusal = _refusal(org, "liste.xlsx", content)
    assert (refusal.code, refusal.status) == ("IMPORT_TOO_LARGE", 422)


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x1f", "\t", "\x7f"])
def test_a_cell_with_a_control_character_is_that_rows_error(org, character):
    """Blank lines first: a NUL in the first 4 KB marks the file as binary, not a CSV."""
    bad = [f"Mar{character}tin", "Chloé", "", "", "", "K-2", *ROW[6:]]
    head = "\n".join(",".join(row) for row in (TEMPLATE_HEADERS, ROW))
    csv = head + "\n" * 5000 + ",".join(bad) + "\n"
    refusal = _refusal(org, "liste.csv", csv.encode())
    assert refusal.code == "IMPORT_REJECTED"
    [error] = refusal.details["errors"]
    assert error["line"] == 5002
    assert "Nom" in error["message"] and "caractère interdit" in error["message"]
    assert db.session.query(Trainee).count() == 0
