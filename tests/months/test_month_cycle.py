"""Every state transition of a BDC's month (R11, FAQ 44)."""

import pytest

from attendance.extensions import db
from attendance.models import MonthDeclaration, MonthPeriod
from tests.api.helpers import assert_error, count
from tests.factories import gen_emargement, gen_org, gen_trainee, gen_user, month_setting, token_for

URL = "/api/purchase-orders/{}/months/2026-03"


@pytest.fixture
def setting(app):
    return month_setting()


def test_a_month_never_touched_is_a_draft_and_nothing_is_stored(client, setting):
    body = client.get(URL.format(setting.order.id), headers=setting.billing).get_json()
    assert body["state"] == "draft" and body["version"] == 0
    assert body["blockers"] == []
    assert count(MonthPeriod) == 0


def test_synchronising_freezes_numbered_versions_with_the_hand_computed_figures(client, setting):
    url = URL.format(setting.order.id)
    first = client.post(url + "/sync", headers=setting.billing)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["version"] == 1
    martin, petit = body["rows"]
    assert (martin["last_name"], martin["presentiel_minutes"], martin["absence_minutes"]) == (
        "Martin",
        410,
        10,
    )  # 210 + (210 - 10 late)
    assert (petit["last_name"], petit["presentiel_minutes"], petit["absence_minutes"]) == (
        "Petit",
        210,
        210,
    )  # the absent half-day is not realised
    assert body["totals"]["presentiel_minutes"] == 620
    assert body["totals"]["centre_minutes"] == 620
    second = client.post(url + "/sync", headers=setting.billing).get_json()
    assert second["version"] == 2
    assert second["checksum"] == body["checksum"]  # nothing changed in between
    assert client.get(url, headers=setting.billing).get_json()["state"] == "synchronised"
    assert count(MonthDeclaration) == 2


def test_validation_locks_the_month_and_further_syncs_are_refused(client, setting):
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    validated = client.post(url + "/validate", headers=setting.billing)
    assert validated.status_code == 200, validated.get_json()
    assert validated.get_json()["state"] == "validated"
    body = assert_error(client.post(url + "/sync", headers=setting.billing), 409, "MONTH_VALIDATED")
    assert "mars 2026" in body["message"]
    assert count(MonthDeclaration) == 1
    assert_error(client.post(url + "/validate", headers=setting.billing), 409, "MONTH_VALIDATED")


def test_a_draft_month_cannot_be_validated(client, setting):
    response = client.post(URL.format(setting.order.id) + "/validate", headers=setting.billing)
    assert_error(response, 409, "MONTH_NOT_SYNCHRONISED")
    db.session.expire_all()
    assert db.session.scalars(db.select(MonthPeriod.state)).all() in ([], ["draft"])


def test_unvalidated_or_unsigned_slots_block_validation(client, setting):
    setting.slots[1].validated_at = None
    newcomer = gen_trainee(setting.org, last_name="Roux")
    from tests.factories import gen_pathway

    gen_pathway(newcomer, setting.composante, prescribed_company_minutes=0)
    db.session.commit()
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    body = assert_error(
        client.post(url + "/validate", headers=setting.billing), 422, "MONTH_HAS_BLOCKERS"
    )
    kinds = sorted({b["kind"] for b in body["details"]["blockers"]})
    assert kinds == ["not_validated", "unsigned"]
    assert any("ROUX" in b["message"].upper() for b in body["details"]["blockers"])
    db.session.expire_all()
    assert db.session.scalars(db.select(MonthPeriod.state)).one() == "synchronised"


def test_hours_changed_after_sync_require_a_new_sync(client, setting):
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    late = db.session.get(type(setting.slots[0]), setting.slots[0].id)
    from attendance.models import Emargement

    emargement = db.session.scalars(
        db.select(Emargement).filter_by(slot_id=late.id, trainee_id=setting.trainees[0].id)
    ).one()
    emargement.late_minutes = 30
    db.session.commit()
    assert_error(
        client.post(url + "/validate", headers=setting.billing), 409, "MONTH_CHANGED_SINCE_SYNC"
    )
    client.post(url + "/sync", headers=setting.billing)
    assert client.post(url + "/validate", headers=setting.billing).status_code == 200


def test_only_an_admin_reopens_a_validated_month_and_with_a_reason(client, setting):
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    client.post(url + "/validate", headers=setting.billing)
    assert_error(
        client.post(url + "/reopen", json={"reason": "Oubli"}, headers=setting.billing),
        403,
        "FORBIDDEN",
    )
    assert_error(
        client.post(url + "/reopen", json={}, headers=setting.admin), 422, "VALIDATION_ERROR"
    )
    reopened = client.post(
        url + "/reopen", json={"reason": "Feuille papier retrouvée"}, headers=setting.admin
    )
    assert reopened.status_code == 200
    assert reopened.get_json()["state"] == "synchronised"
    assert client.post(url + "/sync", headers=setting.billing).get_json()["version"] == 2


def test_reopening_a_month_that_is_not_validated_is_refused(client, setting):
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    assert_error(
        client.post(url + "/reopen", json={"reason": "Pour voir"}, headers=setting.admin),
        409,
        "MONTH_NOT_VALIDATED",
    )


def test_an_earlier_version_stays_readable(client, setting):
    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    gen_emargement(setting.slots[1], gen_trainee(setting.org))
    db.session.commit()
    client.post(url + "/sync", headers=setting.billing)
    v1 = client.get(url + "/declaration?version=1", headers=setting.billing).get_json()
    v2 = client.get(url + "/declaration", headers=setting.billing).get_json()
    assert (v1["version"], v2["version"]) == (1, 2)
    assert_error(
        client.get(url + "/declaration?version=9", headers=setting.billing),
        404,
        "VERSION_NOT_FOUND",
    )


def test_months_of_another_organisation_are_not_found(client, setting):
    other = token_for(gen_user(gen_org(), "admin"))
    url = URL.format(setting.order.id)
    for method, path in (
        ("get", ""),
        ("post", "/sync"),
        ("post", "/validate"),
        ("get", "/declaration"),
        ("get", "/declaration.xlsx"),
        ("get", "/pushes"),
    ):
        response = getattr(client, method)(url + path, headers=other)
        assert_error(response, 404, "NOT_FOUND")
    assert count(MonthDeclaration) == 0


def test_trainers_cannot_synchronise(client, setting):
    trainer = token_for(setting.trainer)
    assert_error(
        client.post(URL.format(setting.order.id) + "/sync", headers=trainer), 403, "FORBIDDEN"
    )


def test_a_bad_month_gets_a_french_error(client, setting):
    response = client.get(
        f"/api/purchase-orders/{setting.order.id}/months/mars", headers=setting.billing
    )
    assert_error(response, 400, "INVALID_MONTH")


def test_validation_and_reopening_are_kept_in_the_evidence_log(client, setting):
    from attendance.evidence import verify_chain
    from attendance.models import EvidenceEntry

    url = URL.format(setting.order.id)
    client.post(url + "/sync", headers=setting.billing)
    client.post(url + "/validate", headers=setting.billing)
    client.post(url + "/reopen", json={"reason": "Feuille papier retrouvée"}, headers=setting.admin)
    entries = db.session.scalars(
        db.select(EvidenceEntry)
        .where(EvidenceEntry.kind.like("month_%"))
        .order_by(EvidenceEntry.seq)
    ).all()
    assert [e.kind for e in entries] == ["month_validated", "month_reopened"]
    assert entries[1].payload["reason"] == "Feuille papier retrouvée"
    assert entries[1].payload["month"] == "2026-03"
    assert verify_chain(db.session, setting.org).ok
