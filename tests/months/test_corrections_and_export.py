"""R12 corrections flow into a re-synchronised version; the xlsx declaration reads back."""

import io
from datetime import date

from openpyxl import load_workbook

from attendance.extensions import db
from attendance.models import Correction
from tests.api.helpers import assert_error, count
from tests.factories import month_setting

URL = "/api/purchase-orders/{}/months/2026-03"


def test_a_resync_after_a_correction_differs_exactly_by_the_correction(client, app):
    setting = month_setting()
    url = URL.format(setting.order.id)
    before = client.post(url + "/sync", headers=setting.billing).get_json()
    # Petit was marked absent on 3 March; the paper sheet shows 3 h of presence.
    response = client.post(
        "/api/corrections",
        headers=setting.billing,
        data={
            "trainee_id": setting.trainees[1].id,
            "composante_id": setting.composante.id,
            "scope": "day",
            "day": "2026-03-03",
            "hour_class": "centre",
            "hours": "3",
            "reason": "Feuille papier : panne du téléphone",
            "attachment": (io.BytesIO(b"%PDF-1.4\nfeuille"), "feuille.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    after = client.post(url + "/sync", headers=setting.billing).get_json()
    assert after["version"] == before["version"] + 1
    petit_before = next(r for r in before["rows"] if r["last_name"] == "Petit")
    petit_after = next(r for r in after["rows"] if r["last_name"] == "Petit")
    assert petit_after["presentiel_minutes"] - petit_before["presentiel_minutes"] == 180
    assert petit_after["correction_minutes"] == 180
    assert "Correctif horaire (exceptionnel)" in petit_after["flags"]
    assert after["totals"]["presentiel_minutes"] - before["totals"]["presentiel_minutes"] == 180
    martin_before = next(r for r in before["rows"] if r["last_name"] == "Martin")
    martin_after = next(r for r in after["rows"] if r["last_name"] == "Martin")
    assert martin_before == martin_after
    grid = next(g for g in after["grid"] if g["last_name"] == "Petit")
    assert grid["days"] == {"2026-03-02": 210, "2026-03-03": 180}


def test_company_month_correction_needs_the_paper_sheet_checked_by_content(client, app):
    setting = month_setting()
    body = {
        "trainee_id": setting.trainees[0].id,
        "composante_id": setting.composante.id,
        "scope": "month",
        "day": "2026-03-15",
        "hour_class": "company",
        "hours": "35",
        "reason": "Feuille du tuteur",
    }
    assert_error(
        client.post(
            "/api/corrections",
            headers=setting.billing,
            data=body,
            content_type="multipart/form-data",
        ),
        400,
        "ATTACHMENT_REQUIRED",
    )
    fake = dict(body, attachment=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "feuille.pdf"))
    assert_error(
        client.post(
            "/api/corrections",
            headers=setting.billing,
            data=fake,
            content_type="multipart/form-data",
        ),
        415,
        "ATTACHMENT_TYPE",
    )
    assert count(Correction) == 0
    real = dict(body, attachment=(io.BytesIO(b"%PDF-1.4\nfeuille"), "scan.bin"))
    response = client.post(
        "/api/corrections", headers=setting.billing, data=real, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_json()
    stored = db.session.scalars(db.select(Correction)).one()
    assert stored.day == date(2026, 3, 1) and stored.attachment_type == "application/pdf"
    assert response.get_json()["has_attachment"] is True


def test_centre_hours_are_not_corrected_by_month(client, app):
    setting = month_setting()
    response = client.post(
        "/api/corrections",
        headers=setting.billing,
        json={
            "trainee_id": setting.trainees[0].id,
            "composante_id": setting.composante.id,
            "scope": "month",
            "day": "2026-03-01",
            "hour_class": "centre",
            "hours": 10,
            "reason": "Essai",
        },
    )
    assert_error(response, 400, "CORRECTION_SCOPE")


def test_the_xlsx_declaration_reads_back_with_values_totals_and_formats(client, app):
    setting = month_setting()
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    response = client.get(url + "/declaration.xlsx", headers=setting.billing)
    assert response.status_code == 200
    assert "declaration_BDC-2026-42_2026-03_v1.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Déclaration"]
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["Nom", "Prénom"] and "Présentiel (h)" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    presentiel = header.index("Présentiel (h)")
    absences = header.index("Absences (h)")
    assert [(r[0], r[presentiel], r[absences]) for r in rows] == [
        ("Martin", 6.83, 0.17),
        ("Petit", 3.5, 3.5),
        ("TOTAL", 10.33, 3.67),
    ]
    assert sheet.cell(row=2, column=presentiel + 1).number_format == "0.00"
    assert sheet.cell(row=2, column=header.index("Entrée") + 1).number_format == "DD/MM/YYYY"
    assert sheet.freeze_panes == "C2"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    grid = book["Jour par jour"]
    assert [c.value for c in grid[1]][3:5] == ["01/03", "02/03"]
    assert [c.value for c in grid[2]][:5] == ["Martin", "A", "BUR", None, 3.5]


def test_declaration_before_any_sync_says_what_to_do(client, app):
    setting = month_setting()
    body = client.get(URL.format(setting.order.id) + "/declaration", headers=setting.billing)
    assert_error(body, 409, "MONTH_NOT_SYNCHRONISED")
