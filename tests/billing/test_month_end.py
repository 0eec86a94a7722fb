"""Month-end that never jams (issue #15): caps are shown and left unbilled once, never a
blocker; e-formation in group-hours; a validated month's money never moves.

Every month is validated through the API as billing staff do (synchronise, validate), then
invoiced through the API; every figure is computed by hand in the docstring.
"""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from attendance.extensions import db
from attendance.models import Composante, Slot
from attendance.signing import roster
from tests.factories import (
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_slot,
    gen_trainee,
    gen_user,
    signature_data_url,
    token_for,
)

MARCH, APRIL = "2026-03", "2026-04"
COMPLIANCE = "/api/hours/purchase-orders/{order}/months/{month}/compliance"


def _slots(composante, trainer, first: date, count: int, minutes: int, kind="centre"):
    """``count`` slots of ``trainer`` of ``minutes`` on consecutive days from ``first``,
    07:00 UTC."""
    return [
        gen_slot(
            composante,
            datetime(first.year, first.month, first.day, 7, tzinfo=UTC) + timedelta(days=n),
            minutes=minutes,
            trainer_id=trainer.id,
            kind=kind,
            **({"objective": "Module en autonomie"} if kind == "autoformation" else {}),
        )
        for n in range(count)
    ]


def _trainer_validates(order, trainer) -> None:
    """The trainer signs and validates each open slot: who did not sign is marked absent."""
    for slot in db.session.scalars(
        select(Slot)
        .join(Composante)
        .where(Composante.purchase_order_id == order.id, Slot.validated_at.is_(None))
    ).all():
        roster.validate_slot(db.session, slot, trainer, signature_data_url())


def _close_and_invoice(client, headers, order, month: str) -> dict:
    """Synchronise and validate ``month`` through the API, then issue its invoice."""
    base = f"/api/purchase-orders/{order.id}/months/{month}"
    synced = client.post(f"{base}/sync", headers=headers)
    assert synced.status_code == 201, synced.get_json()
    validated = client.post(f"{base}/validate", headers=headers)
    assert validated.status_code == 200, validated.get_json()
    assert validated.get_json()["state"] == "validated"
    invoice = client.post(
        "/api/billing/invoices",
        json={"purchase_order_id": order.id, "month": month},
        headers=headers,
    )
    assert invoice.status_code == 201, invoice.get_json()
    return invoice.get_json()


def _lines(client, headers, order, month: str) -> dict:
    url = f"/api/billing/purchase-orders/{order.id}/months/{month}/lines"
    body = client.get(url, headers=headers).get_json()
    return {line["code"]: line for line in body["lines"]}


def _staff(org):
    return gen_user(org, "trainer"), token_for(gen_user(org, "billing"))


def test_autoformation_beyond_its_cap_is_unbilled_once_and_the_month_validates(client, app):
    """200 h contracted at 11,50 €: R3 cap 20 % = 40 h. March: 100 h présentiel + 50 h
    autoformation confirmed → validated; 100 + 40 = 140 h × 11,50 = 1 610,00 €, 10 h shown
    unbilled. April: 30 h présentiel → validated, 30 × 11,50 = 345,00 € (the cap's excess
    stays in March: nothing of it is billed or flagged again)."""
    org = gen_org()
    trainer, headers = _staff(org)
    order = gen_purchase_order(org)
    composante = gen_composante(
        order,
        code="CP-BUR",
        contracted_centre_minutes=200 * 60,
        contracted_company_minutes=0,
        unit_price=Decimal("11.50"),
    )
    trainee = gen_trainee(org)
    gen_pathway(
        trainee, composante, prescribed_centre_minutes=180 * 60, prescribed_company_minutes=0
    )
    for slot in _slots(composante, trainer, date(2026, 3, 2), 20, 300):
        gen_emargement(slot, trainee)
    for slot in _slots(composante, trainer, date(2026, 3, 23), 5, 600, "autoformation"):
        gen_emargement(slot, trainee, confirmed=True)
    for slot in _slots(composante, trainer, date(2026, 4, 6), 6, 300):
        gen_emargement(slot, trainee)
    _trainer_validates(order, trainer)

    march = _close_and_invoice(client, headers, order, MARCH)
    assert march["total_excl_vat"] == "1610.00"
    (line,) = march["lines"]
    assert line["billable_hours"] == 140
    march_lines = _lines(client, headers, order, MARCH)
    not_billed = {n["code"]: n for n in march_lines["CP-BUR"]["not_billed"]}
    assert not_billed["autoformation_cap"]["hours"] == 10
    assert "CP-BUR" in not_billed["autoformation_cap"]["reason"]

    april = _close_and_invoice(client, headers, order, APRIL)
    assert april["total_excl_vat"] == "345.00"
    assert _lines(client, headers, order, APRIL)["CP-BUR"]["not_billed"] == []


def test_fungibility_beyond_the_bdc_total_bills_it_whole_and_shows_the_rest(client, app):
    """A 80 h + B 40 h at 15 €; realised A 100 h, B 30 h → validated. A bills its 80 h and
    borrows B's 10 unused hours: 90 h = 1 350,00 €; B 30 h = 450,00 €; 10 h of A shown
    unbilled (R10); the BDC bills its 120 h total = 1 800,00 €."""
    org = gen_org()
    trainer, headers = _staff(org)
    order = gen_purchase_order(org)
    a, b = (
        gen_composante(
            order,
            code=code,
            contracted_centre_minutes=hours * 60,
            contracted_company_minutes=0,
            unit_price=Decimal("15"),
        )
        for code, hours in (("A", 80), ("B", 40))
    )
    on_a, on_b = gen_trainee(org), gen_trainee(org)
    gen_pathway(on_a, a, prescribed_centre_minutes=80 * 60, prescribed_company_minutes=0)
    gen_pathway(on_b, b, prescribed_centre_minutes=40 * 60, prescribed_company_minutes=0)
    for slot in _slots(a, trainer, date(2026, 3, 2), 20, 300):
        gen_emargement(slot, on_a)
    for slot in _slots(b, trainer, date(2026, 3, 2), 6, 300):
        gen_emargement(slot, on_b)
    _trainer_validates(order, trainer)

    invoice = _close_and_invoice(client, headers, order, MARCH)
    amounts = {line["composante_code"]: line["amount"] for line in invoice["lines"]}
    assert amounts == {"A": "1350.00", "B": "450.00"}
    assert invoice["total_excl_vat"] == "1800.00"
    lines = _lines(client, headers, order, MARCH)
    assert [(n["code"], n["hours"]) for n in lines["A"]["not_billed"]] == [("volume", 10)]
    assert lines["B"]["not_billed"] == []


def test_e_formation_counts_group_hours_of_held_synchronous_slots(client, app):
    """e-formation, 200 contracted group-hours at 90 €. Twelve trainees prescribed 180 h
    each are all accepted (R5: prescriptions are not summed against a group-hour volume).
    March: a 6 h regroupement with 4 present → 6 group-hours = 540,00 €; a 3 h centre class
    held the same week is not a group-hour."""
    org = gen_org()
    trainer, headers = _staff(org)
    order = gen_purchase_order(org, mode="e_formation", dispositif="COMPETENCES_PLUS")
    composante = gen_composante(
        order,
        code="EF-NUM",
        contracted_centre_minutes=200 * 60,
        contracted_company_minutes=0,
        unit_price=Decimal("90"),
    )
    assert composante.billing_unit == "group_hour"
    trainees = [gen_trainee(org) for _ in range(12)]
    db.session.commit()
    for trainee in trainees:
        created = client.post(
            "/api/pathways",
            json={
                "trainee_id": trainee.id,
                "composante_id": composante.id,
                "entry_date": "2026-03-02",
                "planned_exit_date": "2026-07-03",
                "prescribed_centre_hours": "180",
                "prescribed_company_hours": "0",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.get_json()
    (regroupement,) = _slots(composante, trainer, date(2026, 3, 9), 1, 360, "regroupement")
    (centre,) = _slots(composante, trainer, date(2026, 3, 10), 1, 180)
    for trainee in trainees[:4]:
        gen_emargement(regroupement, trainee)
        gen_emargement(centre, trainee)
    _trainer_validates(order, trainer)

    invoice = _close_and_invoice(client, headers, order, MARCH)
    (line,) = invoice["lines"]
    assert (line["billable_hours"], line["amount"]) == (6, "540.00")
    view = client.get(COMPLIANCE.format(order=order.id, month=MARCH), headers=headers)
    (r10,) = [
        c
        for c in view.get_json()["checks"]
        if c["rule"] == "R10" and c["figures"]["hour_type"] == "centre"
    ]
    assert r10["status"] == "ok"  # 6 of 200 group-hours, whatever the trainees' 2 160 h


def test_a_price_or_volume_changed_after_validation_applies_from_the_next_month(client, app):
    """March validated at 10 €/h: 3 h 30 = 35,00 €. The price then goes to 20 € and the
    volume from 10 h down to 4 h: the invoice issued afterwards still bills the validated
    35,00 €; April's preview uses the new price and what is left of the volume, 4 h − 3 h 30
    = 30 min of its 3 h 30: 30 × 20 ÷ 60 = 10,00 €."""
    org = gen_org()
    trainer, headers = _staff(org)
    order = gen_purchase_order(org)
    composante = gen_composante(
        order,
        code="PRIX",
        contracted_centre_minutes=10 * 60,
        contracted_company_minutes=0,
        unit_price=Decimal("10"),
    )
    trainee = gen_trainee(org)
    gen_pathway(trainee, composante, prescribed_centre_minutes=4 * 60, prescribed_company_minutes=0)
    (march,) = _slots(composante, trainer, date(2026, 3, 2), 1, 210)
    (april,) = _slots(composante, trainer, date(2026, 4, 6), 1, 210)
    gen_emargement(march, trainee)
    gen_emargement(april, trainee)
    _trainer_validates(order, trainer)
    base = f"/api/purchase-orders/{order.id}/months/{MARCH}"
    assert client.post(f"{base}/sync", headers=headers).status_code == 201
    assert client.post(f"{base}/validate", headers=headers).status_code == 200

    changed = client.patch(
        f"/api/composantes/{composante.id}",
        json={"unit_price": "20", "contracted_centre_hours": "4"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.get_json()

    invoice = client.post(
        "/api/billing/invoices",
        json={"purchase_order_id": order.id, "month": MARCH},
        headers=headers,
    ).get_json()
    assert invoice["total_excl_vat"] == "35.00"
    (line,) = invoice["lines"]
    assert (line["unit_price"], line["billable_hours"]) == ("10.00", 3.5)
    preview = client.get(
        f"/api/billing/purchase-orders/{order.id}/months/{APRIL}/lines?preview=true",
        headers=headers,
    ).get_json()
    (april_line,) = preview["lines"]
    assert (april_line["unit_price"], april_line["amount"]) == ("20.00", "10.00")


def test_the_invoice_annex_shows_hours_no_trainee_signed_as_corrections(client, app):
    """Two trainees on one 3 h 30 slot: one signs by QR, the trainer marks the other
    present. The invoice bills 7 h and its annex shows « dont corrections » 3,50 h."""
    org = gen_org()
    trainer, headers = _staff(org)
    order = gen_purchase_order(org)
    composante = gen_composante(order, code="CORR", contracted_company_minutes=0)
    signed, marked = gen_trainee(org), gen_trainee(org)
    for trainee in (signed, marked):
        gen_pathway(trainee, composante, prescribed_company_minutes=0)
    (slot,) = _slots(composante, trainer, date(2026, 3, 2), 1, 210)
    gen_emargement(slot, signed)
    gen_emargement(slot, marked, method="trainer", signed_at=None)
    _trainer_validates(order, trainer)

    invoice = _close_and_invoice(client, headers, order, MARCH)
    (line,) = invoice["lines"]
    assert line["billable_hours"] == 7
    pdf = client.get(f"/api/billing/invoices/{invoice['id']}/pdf", headers=headers)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    annex = text[text.index("Annexe") :]
    assert "dont corrections" in annex
    assert "3,50" in annex.split("dont corrections")[1]
