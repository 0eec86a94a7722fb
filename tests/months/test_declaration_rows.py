"""What each row of the monthly declaration says: its own pathway's cap flags, the months it
is listed in, the organisation's SIRET and the site, and totals that keep each class apart."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from attendance.extensions import db
from tests.factories import (
    gen_composante,
    gen_correction,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_trainee,
    gen_user,
    token_for,
    validated_slot,
)

URL = "/api/purchase-orders/{}/months/{}"


@pytest.fixture
def setting(app):
    """BDC-2026-77 (Toulouse and Montauban), composantes BUR and FLE (6 h contracted). Martin
    is on both: in March, 71 h of company hours on BUR (a month correction from the tutor's
    sheet) and, on FLE, 3 h 30 présentiel in Montauban, 1 h 30 FAD, 1 h autoformation, 2 h
    regroupement — 8 h, over FLE's volume, covered by BUR's unused hours (R10)."""
    org = gen_org()
    trainer = gen_user(org, "trainer")
    order = gen_purchase_order(org, number="BDC-2026-77", sites=["Toulouse", "Montauban"])
    bur = gen_composante(order, code="BUR")
    fle = gen_composante(order, code="FLE", contracted_centre_minutes=6 * 60)
    martin = gen_trainee(org, last_name="Martin", first_name="Léa")
    gen_pathway(martin, bur, prescribed_centre_minutes=100 * 60)
    gen_pathway(martin, fle, prescribed_centre_minutes=50 * 60, prescribed_company_minutes=0)
    gen_correction(martin, bur, date(2026, 3, 1), 71 * 60, "company", scope="month")
    slots = [
        ("centre", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 210, "Montauban"),
        ("distance", datetime(2026, 3, 3, 8, 0, tzinfo=UTC), 90, None),
        ("autoformation", datetime(2026, 3, 4, 8, 0, tzinfo=UTC), 60, None),
        ("regroupement", datetime(2026, 3, 5, 8, 0, tzinfo=UTC), 120, "Montauban"),
    ]
    for kind, starts_at, minutes, site in slots:
        slot = validated_slot(fle, trainer, starts_at, kind=kind, minutes=minutes, site=site)
        gen_emargement(slot, martin, confirmed=kind == "autoformation")
    billing = token_for(gen_user(org, "billing"))
    db.session.commit()
    return org, order, bur, fle, martin, trainer, billing


def _sync(client, order, month, headers) -> dict:
    response = client.post(URL.format(order.id, month) + "/sync", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _row(body, last_name, code) -> dict:
    [row] = [r for r in body["rows"] if (r["last_name"], r["composante_code"]) == (last_name, code)]
    return row


def test_a_cap_exceeded_on_one_composante_is_flagged_on_that_row_only(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    body = _sync(client, order, "2026-03", billing)
    assert "R2 dépassé" in _row(body, "Martin", "BUR")["flags"]
    assert not any(flag.startswith("R2") for flag in _row(body, "Martin", "FLE")["flags"])


def test_a_composante_check_goes_to_the_composante_summary_not_to_rows(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    body = _sync(client, order, "2026-03", billing)
    assert not any(flag.startswith("R10") for row in body["rows"] for flag in row["flags"])
    summary = {line["composante_code"]: line for line in body["totals"]["composantes"]}
    assert [flag[:11] for flag in summary["FLE"]["flags"]] == ["R10 alerte "]
    assert "fongibilité" in summary["FLE"]["flags"][0]
    assert summary["BUR"]["flags"] == []
    assert (summary["FLE"]["presentiel_minutes"], summary["FLE"]["centre_minutes"]) == (210, 480)
    assert summary["BUR"]["company_minutes"] == 4260
    response = client.get(URL.format(order.id, "2026-03") + "/declaration.xlsx", headers=billing)
    sheet = load_workbook(io.BytesIO(response.data))["Par composante"]
    lines = list(sheet.iter_rows(values_only=True))
    assert [line[:2] for line in lines] == [("Composante", "Stagiaires"), ("BUR", 1), ("FLE", 1)]
    assert "fongibilité" in lines[2][-1]


def test_a_company_month_correction_shows_in_the_corrections_column(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    body = _sync(client, order, "2026-03", billing)
    bur_row = _row(body, "Martin", "BUR")
    assert (bur_row["company_minutes"], bur_row["correction_minutes"]) == (4260, 4260)
    assert _row(body, "Martin", "FLE")["correction_minutes"] == 0
    assert body["totals"]["correction_minutes"] == 4260


def test_every_row_names_the_siret_and_the_site(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    body = _sync(client, order, "2026-03", billing)
    assert {row["siret"] for row in body["rows"]} == {org.siret}
    # FLE: where Martin's slots were; BUR (no slot this month): the BDC's sites.
    assert _row(body, "Martin", "FLE")["site"] == "Montauban"
    assert _row(body, "Martin", "BUR")["site"] == "Toulouse / Montauban"


def test_totals_keep_presentiel_fad_autoformation_regroupement_and_company_apart(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    totals = _sync(client, order, "2026-03", billing)["totals"]
    assert {
        key: totals[key]
        for key in (
            "presentiel_minutes",
            "fad_minutes",
            "autoformation_minutes",
            "regroupement_minutes",
            "company_minutes",
            "centre_minutes",
        )
    } == {
        "presentiel_minutes": 210,
        "fad_minutes": 90,
        "autoformation_minutes": 60,
        "regroupement_minutes": 120,
        "company_minutes": 4260,
        "centre_minutes": 480,
    }


def test_the_xlsx_has_corrections_siret_and_site_columns_and_no_total_centre(client, setting):
    org, order, bur, fle, martin, trainer, billing = setting
    _sync(client, order, "2026-03", billing)
    response = client.get(URL.format(order.id, "2026-03") + "/declaration.xlsx", headers=billing)
    sheet = load_workbook(io.BytesIO(response.data))["Déclaration"]
    header = [cell.value for cell in sheet[1]]
    assert "Total centre (h)" not in header
    for name in ("SIRET", "Site", "Corrections (h)", "Regroupement (h)", "Entreprise (h)"):
        assert name in header
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "TOTAL"}
    total = rows["TOTAL"]
    assert total[header.index("Corrections (h)")] == 71
    assert total[header.index("Présentiel (h)")] == 3.5
    assert total[header.index("FAD (h)")] == 1.5
    assert total[header.index("Regroupement (h)")] == 2
    assert total[header.index("Entreprise (h)")] == 71
    line = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert line[header.index("SIRET")] == org.siret


def test_a_pathway_without_exit_is_listed_only_until_its_planned_exit_unless_it_has_hours(
    client, setting
):
    org, order, bur, fle, martin, trainer, billing = setting
    petit = gen_trainee(org, last_name="Petit", first_name="Jade")
    roux = gen_trainee(org, last_name="Roux", first_name="Adam")
    for trainee in (petit, roux):
        gen_pathway(trainee, bur, planned_exit_date=date(2026, 3, 31))
    # Roux came back on 1 April: hours are never hidden.
    slot = validated_slot(bur, trainer, datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    gen_emargement(slot, roux)
    db.session.commit()
    march = _sync(client, order, "2026-03", billing)
    assert {r["last_name"] for r in march["rows"]} == {"Martin", "Petit", "Roux"}
    april = _sync(client, order, "2026-04", billing)
    assert sorted((r["last_name"], r["composante_code"]) for r in april["rows"]) == [
        ("Martin", "BUR"),
        ("Martin", "FLE"),
        ("Roux", "BUR"),
    ]
    assert _row(april, "Roux", "BUR")["presentiel_minutes"] == 210
    assert april["totals"]["trainees"] == 2
