"""The compliance view of a BDC's month: service, API and page."""

from datetime import UTC, date, datetime

from attendance.extensions import db
from attendance.hours.compliance import compliance_view
from tests.factories import (
    PASSWORD,
    csrf_form,
    gen_correction,
    gen_emargement,
    gen_pathway,
    gen_trainee,
    gen_user,
    half_day,
    order_with,
    token_for,
)

MARCH = date(2026, 3, 1)
AFTER_MARCH = datetime(2026, 4, 15, tzinfo=UTC)


def _month(session):
    """A BDC with two trainees: one signed everything, one missed a slot; a slot the trainer
    neither signed nor validated; a validated correction; 21 present on one slot."""
    org, order, (comp,) = order_with(contracted_centre_minutes=600 * 60)
    trainer = gen_user(org, "trainer")
    diligent, forgetful = gen_trainee(org, last_name="Durand"), gen_trainee(org, last_name="Martin")
    for trainee in (diligent, forgetful):
        gen_pathway(trainee, comp, prescribed_centre_minutes=150 * 60)
    done = half_day(
        comp,
        date(2026, 3, 2),
        trainer_id=trainer.id,
        validated_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        trainer_signature_png=b"png",
    )
    pending = half_day(comp, date(2026, 3, 3), trainer_id=trainer.id)
    gen_emargement(done, diligent, late_minutes=10)
    gen_emargement(done, forgetful)
    gen_emargement(pending, diligent)
    gen_correction(forgetful, comp, date(2026, 3, 3), 150)
    return org, order, comp, diligent, forgetful, done, pending


def test_view_lists_hours_missing_signatures_unvalidated_slots_and_corrections(session):
    org, order, _, diligent, forgetful, _done, pending = _month(session)

    view = compliance_view(session, org, order.id, MARCH, now=AFTER_MARCH)

    lines = {line.trainee_id: line for line in view.trainees}
    assert lines[diligent.id].minutes_by_class["centre"] == 200 + 210
    assert lines[forgetful.id].minutes_by_class["centre"] == 210 + 150
    assert lines[forgetful.id].corrected_minutes == 150
    assert [s.slot_id for s in view.slots_missing_trainee_signature] == [pending.id]
    assert view.slots_missing_trainee_signature[0].missing_trainees == [
        f"MARTIN {forgetful.first_name}"
    ]
    assert [s.slot_id for s in view.slots_missing_trainer_signature] == [pending.id]
    assert [s.slot_id for s in view.slots_not_validated] == [pending.id]
    assert [(c.minutes, c.validated) for c in view.corrections] == [(150, True)]
    assert view.totals_by_class["centre"] == 410 + 360
    assert view.status == "ok"


def test_slots_not_over_yet_are_not_missing_signatures(session):
    org, order, *_ = _month(session)

    view = compliance_view(session, org, order.id, MARCH, now=datetime(2026, 3, 3, 9, tzinfo=UTC))

    assert view.slots_missing_trainee_signature == []


def test_api_returns_the_view_in_hours(client, session):
    org, order, _, diligent, forgetful, _, pending = _month(session)
    headers = token_for(gen_user(org, "billing"))

    body = client.get(
        f"/api/hours/purchase-orders/{order.id}/months/2026-03/compliance", headers=headers
    ).get_json()

    trainees = {t["trainee_id"]: t for t in body["trainees"]}
    assert trainees[diligent.id]["hours_by_class"]["centre"] == 6.83  # 410 min
    assert trainees[forgetful.id]["corrected_hours"] == 2.5
    assert [s["slot_id"] for s in body["slots_not_validated"]] == [pending.id]
    assert body["corrections"][0]["hours"] == 2.5
    assert {c["rule"] for c in body["checks"]} >= {"R1", "R2", "R3", "R7", "R10"}


def test_api_month_hours_and_checks(client, session):
    org, order, comp, diligent, *_ = _month(session)
    headers = token_for(gen_user(org, "auditor"))

    hours = client.get(
        f"/api/hours/purchase-orders/{order.id}/months/2026-03", headers=headers
    ).get_json()
    checks = client.get(
        f"/api/hours/purchase-orders/{order.id}/months/2026-03/checks", headers=headers
    ).get_json()

    mine = [i for i in hours["items"] if i["trainee_id"] == diligent.id]
    assert mine == [
        {
            "trainee_id": diligent.id,
            "composante_id": comp.id,
            "hour_class": "centre",
            "hours": 6.83,
            "billable_hours": 6.83,
            "corrected_hours": 0.0,
            "reason": None,
        }
    ]
    (r3,) = [c for c in checks["items"] if c["rule"] == "R3"]
    assert r3["status"] == "ok" and r3["figures"]["cap_minutes"] == 120 * 60


def test_api_refuses_a_bad_month_in_french_and_trainers(client, session):
    org, order, *_ = _month(session)

    bad = client.get(
        f"/api/hours/purchase-orders/{order.id}/months/mars",
        headers=token_for(gen_user(org, "billing")),
    )
    trainer = client.get(
        f"/api/hours/purchase-orders/{order.id}/months/2026-03/compliance",
        headers=token_for(gen_user(org, "trainer")),
    )

    assert (bad.status_code, bad.get_json()["code"]) == (400, "INVALID_MONTH")
    assert "AAAA-MM" in bad.get_json()["message"]
    assert trainer.status_code == 403


def test_another_organisations_bdc_is_404_on_every_endpoint_and_page(client, session):
    _, order, *_ = _month(session)
    other_org, *_ = order_with()
    staff = gen_user(other_org, "billing")
    headers = token_for(staff)
    db.session.commit()

    for suffix in ("", "/checks", "/compliance"):
        response = client.get(
            f"/api/hours/purchase-orders/{order.id}/months/2026-03{suffix}", headers=headers
        )
        assert (response.status_code, response.get_json()["code"]) == (404, "NOT_FOUND")
    client.post("/login", data=csrf_form(client, {"email": staff.email, "password": PASSWORD}))
    assert client.get(f"/heures/{order.id}/2026-03").status_code == 404


def test_page_shows_the_month_in_french(client, session):
    org, order, *_ = _month(session)
    staff = gen_user(org, "billing")
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": staff.email, "password": PASSWORD}))

    page = client.get(f"/heures/{order.id}/2026-03").get_data(as_text=True)
    chooser = client.get(f"/heures?bdc={order.id}&mois=2026-03")

    assert "Conformité — BDC" in page and "mars 2026" in page
    assert "MARTIN" in page and "Non validée" in page and "Manquante" in page
    assert "Feuille papier signée" in page
    assert chooser.status_code == 302 and chooser.location.endswith(f"/heures/{order.id}/2026-03")


def test_page_is_refused_to_trainers(client, session):
    org, order, *_ = _month(session)
    trainer = gen_user(org, "trainer")
    db.session.commit()
    client.post("/login", data=csrf_form(client, {"email": trainer.email, "password": PASSWORD}))

    assert client.get(f"/heures/{order.id}/2026-03").status_code == 403
