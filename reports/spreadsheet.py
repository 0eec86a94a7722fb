"""Text cells of the spreadsheets staff download (declaration, billing lines): inert, writable.

Names, codes and titles reach these files from imports and other clients. A spreadsheet runs
a cell starting with ``=`` (in a CSV also ``+ - @``, a tab or a carriage return) as a formula —
``=HYPERLINK("…?leak="&A3)`` sends the neighbouring cells away — so such text is written as
text: a string cell in an xlsx, the OWASP quote prefix in a CSV. A character XML cannot hold
makes openpyxl refuse the whole file, and a validated month could never be exported again:
those are dropped here from whatever is already stored. Numbers never come through here.
"""

import re

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell

# What XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, lone surrogates, U+FFFE and
# U+FFFF), with DEL and the C1 controls, which no name means. Tab, line feed and carriage
# return stay: they are legal, and a note may hold a line break.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# OWASP's first characters that make a spreadsheet read a CSV field as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value) -> str:
    """The text without the characters a file format cannot hold."""
    return _UNWRITABLE.sub("", str(value))


def csv_text(value) -> str:
    """A CSV field: cleaned, and prefixed with ``'`` when a spreadsheet would run it."""
    text = clean_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_text(sheet, value):
    """A value to append to ``sheet``: the cleaned text, or — when openpyxl would store it as
    a formula (``=…``) or an error value (``#N/A``) — a cell forced to hold a string. Plain
    text stays a plain value: a cell object costs openpyxl more, and most names need none."""
    if value is None:
        return None
    text = clean_text(value)
    if text.startswith("=") or text in ERROR_CODES:
        return text_into(WriteOnlyCell(sheet), text)
    return text


def text_into(cell: Cell, value) -> Cell:
    """Put ``value`` in ``cell`` (a styled or reused one) as a string, whatever it starts with."""
    cell.value = clean_text(value)
    cell.data_type = "s"
    return cell


def header_footer_text(value) -> str:
    """Text for a printed page header or footer, where ``&`` starts a formatting code."""
    return clean_text(value).replace("&", "&&")
