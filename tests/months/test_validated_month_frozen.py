"""R11 (FAQ 44): a validated month is frozen. Every write that would change its figures is
refused with 409 MONTH_VALIDATED naming the month, and leaves the month as it was validated.

The month is validated for real, through the months service (``validate_month``); each test
then tries one write path through the API. ``test_month_lock.py`` covers the paths that were
guarded first (creating a slot or a pathway in the month, moving pathway dates, corrections).
"""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from attendance.contract.importer import TEMPLATE_HEADERS
from attendance.extensions import db
from attendance.models import (
    Composante,
    Emargement,
    MonthDeclaration,
    MonthPeriod,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
)
from attendance.months.declaration import build_declaration
from attendance.months.states import checksum
from tests.api.helpers import assert_error, count
from tests.factories import (
    MonthSetting,
    gen_composante,
    gen_emargement,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    month_setting,
    validate_month,
)


@dataclass
class Frozen:
    """BDC-2026-42 with March 2026 validated: Martin and Petit attended; Absent (entered on
    16 February) was recorded absent from both slots, so has no hour but is declared."""

    setting: MonthSetting
    absentee: Trainee

    @property
    def headers(self) -> dict:
        return self.setting.billing

    def pathway_of(self, trainee) -> Pathway:
        return db.session.scalars(db.select(Pathway).where(Pathway.trainee_id == trainee.id)).one()


@pytest.fixture
def frozen(app) -> Frozen:
    setting = month_setting()
    absentee = gen_trainee(setting.org, last_name="Absent", first_name="B")
    gen_pathway(
        absentee, setting.composante, entry_date=date(2026, 2, 16), prescribed_company_minutes=0
    )
    for slot in setting.slots:
        gen_emargement(slot, absentee, status="absent", signed_at=None)
    validate_month(setting.order)
    return Frozen(setting, absentee)


def assert_month_refused(response, month: str = "2026-03", label: str = "mars 2026") -> dict:
    body = assert_error(response, 409, "MONTH_VALIDATED")
    assert body["details"]["month"] == month, body
    assert label in body["message"], body
    return body


def assert_march_as_validated(frozen: Frozen) -> None:
    """March's figures, rebuilt now, are still those that were validated."""
    db.session.expire_all()
    order = db.session.get(PurchaseOrder, frozen.setting.order.id)
    org = db.session.get(Organisation, order.organisation_id)
    period = db.session.scalars(
        db.select(MonthPeriod).where(MonthPeriod.purchase_order_id == order.id)
    ).one()
    assert period.state == "validated"
    validated = db.session.scalars(
        db.select(MonthDeclaration).where(MonthDeclaration.month_period_id == period.id)
    ).one()
    assert checksum(build_declaration(db.session, org, order, period.month)) == validated.checksum


# Pathways


def test_deleting_a_pathway_with_hours_in_a_validated_month_is_refused(client, frozen):
    pathway = frozen.pathway_of(frozen.setting.trainees[0])
    response = client.delete(f"/api/pathways/{pathway.id}", headers=frozen.headers)
    assert_month_refused(response)
    assert count(Pathway) == 3
    assert_march_as_validated(frozen)


def test_deleting_a_pathway_declared_absent_in_a_validated_month_is_refused(client, frozen):
    pathway = frozen.pathway_of(frozen.absentee)
    response = client.delete(f"/api/pathways/{pathway.id}", headers=frozen.headers)
    assert_month_refused(response)
    assert count(Pathway) == 3
    assert_march_as_validated(frozen)


def test_abandon_dated_inside_a_validated_month_is_refused(client, frozen):
    pathway = frozen.pathway_of(frozen.setting.trainees[0])
    url = f"/api/pathways/{pathway.id}/abandon"
    body = {"exit_date": "2026-03-20", "reason": "Reprise d'emploi"}
    assert_month_refused(client.post(url, json=body, headers=frozen.headers))
    db.session.expire_all()
    pathway = db.session.get(Pathway, pathway.id)
    assert (pathway.status, pathway.effective_exit_date) != ("abandon", date(2026, 3, 20))
    assert pathway.effective_exit_date is None
    assert_march_as_validated(frozen)
    # Leaving in April does not touch March.
    body["exit_date"] = "2026-04-10"
    assert client.post(url, json=body, headers=frozen.headers).status_code == 200


def test_moving_an_entry_date_across_a_validated_month_is_refused(client, frozen):
    """From February to April: neither date is in March, but March loses a declared trainee."""
    pathway = frozen.pathway_of(frozen.absentee)
    response = client.patch(
        f"/api/pathways/{pathway.id}",
        json={"entry_date": "2026-04-01", "reason": "Entrée reportée"},
        headers=frozen.headers,
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).entry_date == date(2026, 2, 16)
    assert_march_as_validated(frozen)


def test_setting_an_exit_date_before_a_validated_month_is_refused(client, frozen):
    """An exit on 27 February would take the absentee out of March's declaration."""
    pathway = frozen.pathway_of(frozen.absentee)
    response = client.patch(
        f"/api/pathways/{pathway.id}",
        json={"effective_exit_date": "2026-02-27", "reason": "Sortie"},
        headers=frozen.headers,
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Pathway, pathway.id).effective_exit_date is None


@pytest.mark.parametrize(
    ("field", "hours"), [("prescribed_centre_hours", 120), ("prescribed_company_hours", 20)]
)
def test_changing_prescribed_hours_of_a_pathway_in_a_validated_month_is_refused(
    client, frozen, field, hours
):
    pathway = frozen.pathway_of(frozen.setting.trainees[0])
    before = (pathway.prescribed_centre_minutes, pathway.prescribed_company_minutes)
    response = client.patch(
        f"/api/pathways/{pathway.id}", json={field: hours}, headers=frozen.headers
    )
    assert_month_refused(response)
    db.session.expire_all()
    pathway = db.session.get(Pathway, pathway.id)
    assert (pathway.prescribed_centre_minutes, pathway.prescribed_company_minutes) == before


def test_entering_a_pathway_before_a_validated_month_is_refused(client, frozen):
    """Entered on 20 February and not gone: the trainee would be declared in March."""
    trainee = gen_trainee(frozen.setting.org)
    db.session.commit()
    response = client.post(
        "/api/pathways",
        headers=frozen.headers,
        json={
            "trainee_id": trainee.id,
            "composante_id": frozen.setting.composante.id,
            "entry_date": "2026-02-20",
            "planned_exit_date": "2026-06-30",
            "prescribed_centre_hours": 100,
        },
    )
    assert_month_refused(response)
    assert count(Pathway) == 3
    assert_march_as_validated(frozen)


# Import


def _import_row(last: str, entry: str) -> list[str]:
    return [last, "C", "", "", "", "", "non", "non", "BDC-2026-42", "BUR", entry, "30/06/2026"]


def _upload(client, headers, rows):
    lines = [";".join(TEMPLATE_HEADERS)] + [";".join([*row, "100", "0"]) for row in rows]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    return client.post(
        "/api/imports/trainees",
        headers=headers,
        data={"file": (io.BytesIO(content), "liste.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("entry", ["20/02/2026", "10/03/2026"], ids=["before", "inside"])
def test_an_import_entering_a_trainee_in_a_validated_month_is_refused_whole(client, frozen, entry):
    trainees = count(Trainee)
    rows = [_import_row("Avril", "07/04/2026"), _import_row("Mars", entry)]
    body = assert_month_refused(_upload(client, frozen.headers, rows))
    assert "Ligne 3" in body["message"] and "rien n'a été importé" in body["message"]
    assert [error["line"] for error in body["details"]["errors"]] == [3]
    assert count(Trainee) == trainees
    assert count(Pathway) == 3
    assert_march_as_validated(frozen)


# Trainees


def test_deleting_a_trainee_with_sign_ins_in_a_validated_month_is_refused(client, frozen):
    trainee_id = frozen.absentee.id
    response = client.delete(f"/api/trainees/{trainee_id}", headers=frozen.headers)
    assert_month_refused(response)
    assert db.session.get(Trainee, trainee_id) is not None
    assert count(Pathway) == 3
    assert count(Emargement) == 6
    assert_march_as_validated(frozen)


def test_deleting_a_trainee_with_sign_ins_in_an_open_month_is_refused_not_failed(client, frozen):
    """R9: absences are records of attendance too; deleting them would fail on the database."""
    trainee = gen_trainee(frozen.setting.org)
    gen_pathway(trainee, frozen.setting.composante, entry_date=date(2026, 4, 6))
    april = gen_slot(frozen.setting.composante, datetime(2026, 4, 7, 8, tzinfo=UTC))
    gen_emargement(april, trainee, status="absent", signed_at=None)
    db.session.commit()
    response = client.delete(f"/api/trainees/{trainee.id}", headers=frozen.headers)
    body = assert_error(response, 409, "TRAINEE_HAS_RECORDS")
    assert "émargement" in body["message"]
    assert db.session.get(Trainee, trainee.id) is not None
    assert count(Pathway) == 4


# Slots


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": "2026-03-02T10:00:00+01:00", "ends_at": "2026-03-02T12:00:00+01:00"},
        {"kind": "distance"},
        {"title": "Renommée"},
    ],
    ids=["times", "kind", "title"],
)
def test_changing_a_slot_of_a_validated_month_is_refused(client, frozen, change):
    slot = frozen.setting.slots[0]
    before = (slot.starts_at, slot.ends_at, slot.kind, slot.title)
    response = client.patch(f"/api/slots/{slot.id}", json=change, headers=frozen.headers)
    assert_month_refused(response)
    db.session.expire_all()
    slot = db.session.get(Slot, slot.id)
    assert (slot.starts_at, slot.ends_at, slot.kind, slot.title) == before
    assert_march_as_validated(frozen)


def test_moving_a_slot_out_of_a_validated_month_is_refused(client, frozen):
    slot = frozen.setting.slots[0]
    response = client.patch(
        f"/api/slots/{slot.id}",
        json={"starts_at": "2026-04-07T09:00:00+02:00", "ends_at": "2026-04-07T12:30:00+02:00"},
        headers=frozen.headers,
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).starts_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert_march_as_validated(frozen)


def test_moving_a_slot_to_another_bdc_out_of_a_validated_month_is_refused(client, frozen):
    other = gen_composante(gen_purchase_order(frozen.setting.org))
    db.session.commit()
    slot = frozen.setting.slots[0]
    response = client.patch(
        f"/api/slots/{slot.id}", json={"composante_id": other.id}, headers=frozen.headers
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).composante_id == frozen.setting.composante.id
    assert_march_as_validated(frozen)


def test_moving_a_slot_into_a_validated_month_is_refused(client, frozen):
    """Guarded before this file: kept as a regression test, with the month named."""
    april = gen_slot(frozen.setting.composante, datetime(2026, 4, 7, 8, tzinfo=UTC))
    db.session.commit()
    response = client.patch(
        f"/api/slots/{april.id}",
        json={"starts_at": "2026-03-31T09:00:00+02:00", "ends_at": "2026-03-31T12:00:00+02:00"},
        headers=frozen.headers,
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Slot, april.id).starts_at == datetime(2026, 4, 7, 8, tzinfo=UTC)
    assert_march_as_validated(frozen)


def test_moving_a_slot_from_another_bdc_into_a_validated_month_is_refused(client, frozen):
    """Guarded before this file: kept as a regression test."""
    other = gen_composante(gen_purchase_order(frozen.setting.org))
    slot = gen_slot(other, datetime(2026, 3, 10, 8, tzinfo=UTC))
    db.session.commit()
    response = client.patch(
        f"/api/slots/{slot.id}",
        json={"composante_id": frozen.setting.composante.id},
        headers=frozen.headers,
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).composante_id == other.id
    assert_march_as_validated(frozen)


def test_deleting_a_slot_of_a_validated_month_is_refused(client, frozen):
    slot_id = frozen.setting.slots[1].id
    response = client.delete(f"/api/slots/{slot_id}", headers=frozen.headers)
    assert_month_refused(response)
    assert db.session.get(Slot, slot_id) is not None
    assert count(Emargement) == 6
    assert_march_as_validated(frozen)


# Purchase orders and composantes


def test_changing_the_mode_of_a_bdc_with_a_validated_month_is_refused(client, frozen):
    """The mode sets the caps (R3, R4) that decided what March billed."""
    order_id = frozen.setting.order.id
    response = client.patch(
        f"/api/purchase-orders/{order_id}", json={"mode": "hybride"}, headers=frozen.headers
    )
    assert_month_refused(response)
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order_id).mode == "presentiel"


def test_a_composante_price_change_is_accepted_for_the_months_to_come(client, frozen):
    """Not refused: validated months keep the price and volumes frozen at validation."""
    composante_id = frozen.setting.composante.id
    response = client.patch(
        f"/api/composantes/{composante_id}",
        json={"unit_price": "13.00", "contracted_centre_hours": 1100},
        headers=frozen.headers,
    )
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Composante, composante_id).unit_price == Decimal("13.00")
    doc = client.get("/api/openapi.json").get_json()
    patch_doc = doc["paths"]["/api/composantes/{composante_id}"]["patch"]
    assert "mois validé" in patch_doc["description"]


def test_writes_outside_the_validated_month_still_go_through(client, frozen):
    """The lock is the month's, not the BDC's: April stays open."""
    response = client.post(
        "/api/slots",
        json={
            "composante_id": frozen.setting.composante.id,
            "kind": "centre",
            "starts_at": "2026-04-07T09:00:00+02:00",
            "ends_at": "2026-04-07T12:30:00+02:00",
        },
        headers=frozen.headers,
    )
    assert response.status_code == 201
    pathway = frozen.pathway_of(frozen.setting.trainees[0])
    ok = client.patch(
        f"/api/pathways/{pathway.id}",
        json={"planned_exit_date": "2026-07-31"},
        headers=frozen.headers,
    )
    assert ok.status_code == 200
