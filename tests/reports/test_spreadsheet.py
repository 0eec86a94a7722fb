"""reports.spreadsheet: the one rule for text in the files staff open in a spreadsheet."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from reports.spreadsheet import clean_text, csv_text, header_footer_text, text_into, xlsx_text

UNWRITABLE = "\x00\x08\x0b\x0c\x1f\x7f\x85\ud800\udfff\ufffe\uffff"


def test_characters_a_file_cannot_hold_are_dropped_and_line_breaks_kept():
    assert clean_text(f"Du{UNWRITABLE}pont") == "Dupont"
    assert clean_text("ligne 1\r\nligne 2\tfin") == "ligne 1\r\nligne 2\tfin"
    assert clean_text("Müller — Ærø ✓") == "Müller — Ærø ✓"


@pytest.mark.parametrize(
    "text", ["=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "\x0b=HYPERLINK(1)"]
)
def test_a_csv_field_a_spreadsheet_would_run_gets_the_quote_prefix(text):
    assert csv_text(text) == "'" + clean_text(text)


@pytest.mark.parametrize("text", ["Dupont", "", "1+1", "a=b", "'=déjà", "#N/A"])
def test_other_csv_fields_are_left_as_they_are(text):
    assert csv_text(text) == text


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_text_is_always_a_string_cell_and_the_file_opens(write_only):
    texts = ["=1+1", '=HYPERLINK("http://x/?"&A3,"ici")', "#N/A", "#REF!", "+1", "-1", "Nom"]
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s")
    sheet.append([xlsx_text(sheet, text) for text in texts])
    sheet.append([xlsx_text(sheet, f"Du{UNWRITABLE}pont"), None, 3.5])
    styled = sheet["A3"] if not write_only else None
    if styled is not None:
        text_into(styled, "=2+2")
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()))["s"]
    assert [(cell.value, cell.data_type) for cell in read[1]] == [(t, "s") for t in texts]
    assert [cell.value for cell in read[2][:3]] == ["Dupont", None, 3.5]
    if styled is not None:
        assert (read["A3"].value, read["A3"].data_type) == ("=2+2", "s")


def test_page_headers_keep_an_ampersand_as_text():
    assert header_footer_text("BDC A&B\x0b 2026") == "BDC A&&B 2026"
