"""Bulk import of trainees and pathways: all or nothing, errors line by line in French."""

import io

import pytest
from openpyxl import Workbook

from attendance.contract.importer import TEMPLATE_HEADERS
from attendance.extensions import db
from attendance.models import Pathway, PathwayEvent, Trainee
from tests.api.helpers import assert_error, count
from tests.factories import gen_composante, gen_org, gen_purchase_order, gen_user, token_for


@pytest.fixture
def setting(app):
    org = gen_org()
    headers = token_for(gen_user(org, "billing"))
    order = gen_purchase_order(org, number="BDC-2026-7")
    gen_composante(order, code="BUR", contracted_centre_minutes=300 * 60)
    gen_composante(order, code="FLE", contracted_centre_minutes=300 * 60)
    db.session.commit()
    return headers


GOOD_ROWS = [
    [
        "Martin",
        "Léa",
        "12/03/1990",
        "lea@example.org",
        "0601020304",
        "K-1",
        "non",
        "non",
        "BDC-2026-7",
        "BUR",
        "02/03/2026",
        "03/07/2026",
        "150",
        "35",
    ],
    [
        "Dubois",
        "Chloé",
        "1988-07-01",
        "",
        "",
        "K-2",
        "oui",
        "oui",
        "BDC-2026-7",
        "FLE",
        "09/03/2026",
        "10/07/2026",
        "120,5",
        "",
    ],
    # Same trainee (by identifier) on a second composante.
    [
        "Martin",
        "Léa",
        "12/03/1990",
        "lea@example.org",
        "0601020304",
        "K-1",
        "non",
        "non",
        "BDC-2026-7",
        "FLE",
        "02/03/2026",
        "03/07/2026",
        "10",
        "0",
    ],
]


def _row(
    last, first, *, boe="non", aah="non", composante="BUR", centre="150", exit="03/07/2026"
) -> list[str]:
    """One pathway of BDC-2026-7 entering on 2 March, in the template's column order."""
    return [
        last,
        first,
        "",
        "",
        "",
        "",
        boe,
        aah,
        "BDC-2026-7",
        composante,
        "02/03/2026",
        exit,
        centre,
        "0",
    ]


def _csv(rows, sep=";") -> bytes:
    lines = [sep.join(TEMPLATE_HEADERS)] + [sep.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, headers, content: bytes, name: str):
    return client.post(
        "/api/imports/trainees",
        headers=headers,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_csv_import_creates_trainees_and_pathways(client, setting):
    response = _upload(client, setting, _csv(GOOD_ROWS), "liste.csv")
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {
        "trainees_created": 2,
        "trainees_matched": 1,
        "pathways_created": 3,
    }
    chloe = db.session.scalars(db.select(Trainee).where(Trainee.first_name == "Chloé")).one()
    assert chloe.boe and chloe.aah
    assert chloe.pathways[0].prescribed_centre_minutes == 120 * 60 + 30
    assert count(PathwayEvent) == 3


def test_xlsx_import_reads_the_same_list(client, setting):
    response = _upload(client, setting, _xlsx(GOOD_ROWS), "liste.xlsx")
    assert response.status_code == 201, response.get_json()
    assert count(Pathway) == 3


def test_one_bad_row_rejects_the_whole_file_with_each_line_named(client, setting):
    rows = [
        *GOOD_ROWS,
        _row("Petit", "Jade", boe="peut-être"),
        _row("Roux", "Adam", aah="oui"),
        _row("Blanc", "Noé", composante="XXX"),
        _row("Faure", "Lou", centre="201"),
    ]
    response = _upload(client, setting, _csv(rows), "liste.csv")
    body = assert_error(response, 422, "IMPORT_REJECTED")
    assert "rien n'a été importé" in body["message"]
    errors = body["details"]["errors"]
    assert [error["line"] for error in errors] == [5, 6, 7, 8]
    assert "BOE" in errors[0]["message"] and errors[0]["message"].startswith("Ligne 5 :")
    assert errors[1]["code"] == "R15_BOE_AAH_INCONSISTENT"
    assert "XXX" in errors[2]["message"]
    assert errors[3]["code"] == "R1_PATHWAY_HOURS_EXCEEDED"
    assert count(Trainee) == 0 and count(Pathway) == 0 and count(PathwayEvent) == 0


def test_rows_are_checked_together_against_the_contracted_volume(client, setting):
    rows = [
        _row("A", "Un", centre="200"),
        _row("B", "Deux", centre="200"),
        _row("C", "Trois", composante="FLE", centre="200"),
        _row("D", "Quatre", composante="FLE", centre="1"),
    ]
    body = assert_error(_upload(client, setting, _csv(rows), "l.csv"), 422, "IMPORT_REJECTED")
    assert [(e["line"], e["code"]) for e in body["details"]["errors"]] == [
        (5, "R10_CONTRACTED_VOLUME_EXCEEDED")
    ]
    assert count(Pathway) == 0


def test_missing_columns_are_listed(client, setting):
    content = "Nom;Prénom\nMartin;Léa\n".encode()
    body = assert_error(_upload(client, setting, content, "l.csv"), 400, "IMPORT_MISSING_COLUMNS")
    assert "boe" in body["details"]["missing"]


def test_import_is_for_billing_staff_only(client, app):
    org = gen_org()
    headers = token_for(gen_user(org, "trainer"))
    assert_error(_upload(client, headers, _csv(GOOD_ROWS), "l.csv"), 403, "FORBIDDEN")


def test_the_content_decides_the_format_not_the_file_name(client, setting):
    """An xlsx renamed .csv is read as xlsx; a PDF or CSV named .xlsx is refused, in
    French, and nothing is imported."""
    renamed = _upload(client, setting, _xlsx(GOOD_ROWS), "liste.csv")
    assert renamed.status_code == 201, renamed.get_json()
    for content in (_csv(GOOD_ROWS), b"%PDF-1.7\x00\x01binary"):
        refused = _upload(client, setting, content, "liste.xlsx")
        assert_error(refused, 400, "IMPORT_UNREADABLE")
    binary = _upload(client, setting, b"\x89PNG\r\n\x1a\n\x00\x00", "liste.csv")
    assert binary.get_json()["code"] == "IMPORT_UNREADABLE"
    assert count(Pathway) == 3  # only the first upload


def test_a_row_ending_after_the_bdc_end_rejects_the_file_r6(client, setting):
    rows = [_row("A", "Un"), _row("B", "Deux", exit="01/07/2027")]
    body = assert_error(_upload(client, setting, _csv(rows), "l.csv"), 422, "IMPORT_REJECTED")
    [error] = body["details"]["errors"]
    assert (error["line"], error["code"]) == (3, "EXIT_AFTER_BDC_END")
    assert "01/07/2027" in error["message"] and "30/06/2027" in error["message"]
    assert count(Pathway) == 0
