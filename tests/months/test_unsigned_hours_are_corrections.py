"""R12: every hour no trainee signed for (marked present by the trainer, changed after the
slot's validation) is a correction, and the monthly declaration shows it as one."""

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from attendance.extensions import db
from attendance.models import Correction
from tests.api.helpers import assert_error, count
from tests.factories import month_setting, tiny_png, token_for, validated_slot

URL = "/api/purchase-orders/{}/months/2026-03"
FLAG = "Correctif horaire (exceptionnel)"


def _row(client, setting, last_name):
    response = client.post(URL.format(setting.order.id) + "/sync", headers=setting.billing)
    assert response.status_code == 201, response.get_json()
    return next(r for r in response.get_json()["rows"] if r["last_name"] == last_name)


def test_a_trainee_marked_present_by_the_trainer_is_declared_as_a_correction(client, app):
    setting = month_setting()
    # A third 3 h 30 slot, not validated yet; Petit did not sign, the trainer marks him present.
    slot = validated_slot(
        setting.composante, setting.trainer, datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    )
    slot.validated_at = None
    trainer = token_for(setting.trainer)
    response = client.patch(
        f"/api/slots/{slot.id}/roster/{setting.trainees[1].id}",
        headers=trainer,
        json={"status": "present"},
    )
    assert response.status_code == 200, response.get_json()
    petit = _row(client, setting, "Petit")
    assert petit["presentiel_minutes"] == 420
    assert petit["correction_minutes"] == 210
    assert FLAG in petit["flags"]
    # The spreadsheet handed to the Region (and sent with the invoice) shows them apart.
    xlsx = client.get(URL.format(setting.order.id) + "/declaration.xlsx", headers=setting.billing)
    sheet = load_workbook(io.BytesIO(xlsx.data))["Déclaration"]
    header = [cell.value for cell in sheet[1]]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Petit"][header.index("Corrections (h)")] == 3.5
    assert rows["Martin"][header.index("Corrections (h)")] in (0, None)


def test_a_change_after_validation_is_declared_as_a_correction(client, app):
    setting = month_setting()
    trainer = token_for(setting.trainer)
    # Petit was recorded absent on the validated 3 March slot; the trainer corrects it.
    response = client.post(
        f"/api/slots/{setting.slots[1].id}/corrections",
        headers=trainer,
        json={
            "trainee_id": setting.trainees[1].id,
            "status": "present",
            "reason": "Feuille papier signée retrouvée",
        },
    )
    assert response.status_code == 201, response.get_json()
    petit = _row(client, setting, "Petit")
    assert petit["presentiel_minutes"] == 420
    assert petit["correction_minutes"] == 210
    assert FLAG in petit["flags"]


def test_a_late_arrival_changed_after_validation_counts_the_whole_sign_in_as_corrected(client, app):
    setting = month_setting()
    trainer = token_for(setting.trainer)
    # Martin signed the 3 March slot himself, 10 minutes late; after validation the trainer
    # removes the delay. The trainee's signature no longer vouches for the minutes counted.
    response = client.post(
        f"/api/slots/{setting.slots[1].id}/corrections",
        headers=trainer,
        json={
            "trainee_id": setting.trainees[0].id,
            "late_minutes": 0,
            "reason": "Retard saisi par erreur",
        },
    )
    assert response.status_code == 201, response.get_json()
    line = next(
        line
        for line in response.get_json()["lines"]
        if line["trainee_id"] == setting.trainees[0].id
    )
    assert line["emargement"]["method"] == "correction"
    martin = _row(client, setting, "Martin")
    assert martin["presentiel_minutes"] == 420
    assert martin["correction_minutes"] == 210
    assert FLAG in martin["flags"]


def test_the_trainees_own_qr_sign_ins_are_no_correction(client, app):
    setting = month_setting()
    martin = _row(client, setting, "Martin")
    assert martin["presentiel_minutes"] == 410
    assert martin["correction_minutes"] == 0
    assert FLAG not in martin["flags"]


def _day_correction(setting) -> dict:
    return {
        "trainee_id": setting.trainees[1].id,
        "composante_id": setting.composante.id,
        "scope": "day",
        "day": "2026-03-03",
        "hour_class": "centre",
        "hours": "3",
        "reason": "Feuille papier : panne du téléphone",
    }


def test_a_day_correction_without_its_paper_sheet_is_refused_and_nothing_stored(client, app):
    setting = month_setting()
    for request in (
        {"json": _day_correction(setting)},
        {"data": _day_correction(setting), "content_type": "multipart/form-data"},
    ):
        body = assert_error(
            client.post("/api/corrections", headers=setting.billing, **request),
            400,
            "CORRECTION_SHEET_REQUIRED",
        )
        assert "Joignez la feuille d'émargement papier" in body["message"]
    assert count(Correction) == 0
    assert _row(client, setting, "Petit")["correction_minutes"] == 0


def test_a_day_correction_with_its_scanned_sheet_is_accepted_and_declared(client, app):
    setting = month_setting()
    sheet = dict(_day_correction(setting), attachment=(io.BytesIO(tiny_png()), "feuille.png"))
    response = client.post(
        "/api/corrections",
        headers=setting.billing,
        data=sheet,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["has_attachment"] is True
    stored = db.session.scalars(db.select(Correction)).one()
    assert (stored.minutes, stored.attachment_type) == (180, "image/png")
    petit = _row(client, setting, "Petit")
    assert petit["correction_minutes"] == 180
    assert FLAG in petit["flags"]
