"""Invoice lines from realised hours, with figures computed by hand in each docstring."""

from datetime import date
from decimal import Decimal

import pytest

from attendance.errors import Conflict
from attendance.extensions import db
from billing.lines import PREVIEW_LABEL_FR, month_statement
from billing.pricing import VAT_EXEMPT_MENTION_FR
from tests.factories import (
    APRIL,
    MARCH,
    gen_composante,
    gen_emargement,
    gen_org,
    gen_purchase_order,
    gen_trainee,
    half_day,
    presentiel_march,
    synchronise_month,
    validate_month,
)


def _by_code(statement):
    return {line.code: line for line in statement.lines}


def test_presentiel_line_bills_realised_minutes_without_absence_late_or_company_hours(app):
    """A 420 + B (210 − 25) + 210 + C 0 + (210 − 15) = 1 010 min; 1 010 × 12,50 ÷ 60 =
    210,4166… → 210,42 €. The 420 company minutes are shown, not billed."""
    org, order = presentiel_march()
    validate_month(order)
    statement = month_statement(db.session, org, order.id, MARCH)
    line = _by_code(statement)["BUREAU"]
    assert line.realised_by_class["centre"] == 1010
    assert line.realised_by_class["company"] == 420
    assert line.billable_minutes == 1010
    assert line.amount == Decimal("210.42")
    assert [(n.code, n.minutes) for n in line.not_billed] == [("company", 420)]
    assert statement.total_excl_vat == Decimal("210.42")
    assert statement.total_incl_vat == Decimal("210.42")
    assert statement.vat_amount == Decimal("0.00")
    assert statement.vat_mention == VAT_EXEMPT_MENTION_FR
    assert not statement.preview
    assert "ROUND_HALF_UP" in statement.rounding_note


def test_a_draft_month_is_refused_unless_previewed_and_the_preview_says_so(app):
    org, order = presentiel_march()
    with pytest.raises(Conflict) as refused:
        month_statement(db.session, org, order.id, MARCH)
    assert refused.value.code == "MONTH_NOT_VALIDATED"
    assert "mars 2026" in refused.value.message
    preview = month_statement(db.session, org, order.id, MARCH, preview=True)
    assert preview.preview and preview.label == PREVIEW_LABEL_FR == "Aperçu — mois non validé"
    assert preview.total_excl_vat == Decimal("210.42")


def test_autoformation_beyond_the_r3_cap_is_shown_and_not_billed_rounding_half_up(app):
    """Contracted centre volume 10 h → R3 cap 20 % = 120 min. Realised: 210 min centre and
    180 min autoformation → 120 billed, 60 not. (210 + 120) × 11,35 ÷ 60 = 62,425 → 62,43 €
    (half up; banker's rounding would give 62,42)."""
    org = gen_org()
    order = gen_purchase_order(org)
    composante = gen_composante(
        order, code="AUTO", contracted_centre_minutes=600, unit_price=Decimal("11.35")
    )
    trainee = gen_trainee(org)
    gen_emargement(half_day(composante, date(2026, 3, 2)), trainee)
    gen_emargement(
        half_day(
            composante, date(2026, 3, 3), minutes=180, kind="autoformation", objective="Module 1"
        ),
        trainee,
    )
    validate_month(order)
    line = _by_code(month_statement(db.session, org, order.id, MARCH))["AUTO"]
    assert line.realised_by_class["autoformation"] == 180
    assert line.billable_minutes == 330
    assert line.amount == Decimal("62.43")
    assert [(n.code, n.minutes) for n in line.not_billed] == [("autoformation_cap", 60)]
    assert "R3" in line.note


def test_eformation_bills_each_held_synchronous_slot_once_per_group_hour(app):
    """Tutorat 120 min (3 present, one 30 min late), regroupement 420 min (2 present),
    tutorat 50 min (1 present), tutorat 90 min where all were absent (not held), and 300 min
    of autoformation (included, R5). Group minutes 120 + 420 + 50 = 590;
    590 × 87,35 ÷ 60 = 858,941… → 858,94 €. Per trainee it would have been 1 220 min."""
    org = gen_org()
    order = gen_purchase_order(org, mode="e_formation")
    composante = gen_composante(order, code="EFORM", unit_price=Decimal("87.35"))
    assert composante.billing_unit == "group_hour"
    t1, t2, t3 = gen_trainee(org), gen_trainee(org), gen_trainee(org)
    tutorat = half_day(composante, date(2026, 3, 2), minutes=120, kind="distance")
    for trainee in (t1, t2):
        gen_emargement(tutorat, trainee)
    gen_emargement(tutorat, t3, late_minutes=30)
    regroupement = half_day(composante, date(2026, 3, 5), minutes=420, kind="regroupement")
    gen_emargement(regroupement, t1)
    gen_emargement(regroupement, t2)
    gen_emargement(half_day(composante, date(2026, 3, 9), minutes=50, kind="distance"), t3)
    empty = half_day(composante, date(2026, 3, 10), minutes=90, kind="distance")
    for trainee in (t1, t2, t3):
        gen_emargement(empty, trainee, status="absent")
    gen_emargement(
        half_day(composante, date(2026, 3, 11), minutes=300, kind="autoformation", objective="M1"),
        t1,
    )
    validate_month(order)
    line = _by_code(month_statement(db.session, org, order.id, MARCH))["EFORM"]
    assert line.group_slots == 3
    assert line.billable_minutes == 590
    assert line.amount == Decimal("858.94")
    assert line.realised_by_class["distance"] + line.realised_by_class["regroupement"] == 1220
    assert [(n.code, n.minutes) for n in line.not_billed] == [("autoformation_included", 300)]


def two_composantes():
    """C1: 5 h contracted at 12,00 €; C2: 10 h at 10,00 € (BDC total 15 h)."""
    org = gen_org()
    order = gen_purchase_order(org)
    c1 = gen_composante(order, code="C1", contracted_centre_minutes=300, unit_price=Decimal(12))
    c2 = gen_composante(order, code="C2", contracted_centre_minutes=600, unit_price=Decimal(10))
    trainees = [gen_trainee(org) for _ in range(3)]
    return org, order, c1, c2, trainees


def test_fungibility_bills_one_composantes_excess_on_anothers_unused_hours(app):
    """March: C1 realises 2 × 210 = 420 min (120 over its 300), C2 210 min: C2's 390 unused
    minutes cover C1's excess. C1: 420 × 12 ÷ 60 = 84,00 €; C2: 210 × 10 ÷ 60 = 35,00 €."""
    org, order, c1, c2, (a, b, _) = two_composantes()
    slot = half_day(c1, date(2026, 3, 2))
    gen_emargement(slot, a)
    gen_emargement(slot, b)
    gen_emargement(half_day(c2, date(2026, 3, 3)), a)
    validate_month(order)
    statement = month_statement(db.session, org, order.id, MARCH)
    lines = _by_code(statement)
    assert (lines["C1"].billable_minutes, lines["C1"].amount) == (420, Decimal("84.00"))
    assert (lines["C2"].billable_minutes, lines["C2"].amount) == (210, Decimal("35.00"))
    assert lines["C1"].not_billed == [] and lines["C2"].not_billed == []
    assert statement.total_excl_vat == Decimal("119.00")


def test_hours_beyond_the_bdc_volume_are_not_billed_and_loans_are_never_undone(app):
    """March (validated): C1 realises 420 min on its 300 and borrows 120 of C2's unused
    hours; C2 realises 210 of its 600, so 330 of C2's volume are used. April: C2 realises
    3 × 210 = 630 min; 600 − 330 = 270 remain → 270 billed = 45,00 €, 360 not billed. The
    March loan stays as it was (a validated month never moves): C1 bills nothing in April.
    Over the BDC 420 + 210 + 270 = 900 min = its contracted total; cumulative 84 + 35 + 45 =
    164,00 €."""
    org, order, c1, c2, trainees = two_composantes()
    slot = half_day(c1, date(2026, 3, 2))
    gen_emargement(slot, trainees[0])
    gen_emargement(slot, trainees[1])
    gen_emargement(half_day(c2, date(2026, 3, 3)), trainees[0])
    april = half_day(c2, date(2026, 4, 7))
    for trainee in trainees:
        gen_emargement(april, trainee)
    validate_month(order, MARCH)
    validate_month(order, APRIL)
    statement = month_statement(db.session, org, order.id, APRIL)
    lines = _by_code(statement)
    assert (lines["C2"].billable_minutes, lines["C2"].amount) == (270, Decimal("45.00"))
    assert [(n.code, n.minutes) for n in lines["C2"].not_billed] == [("volume", 360)]
    assert "C2" in lines["C2"].note and "R10" in lines["C2"].note
    assert (lines["C1"].billable_minutes, lines["C1"].amount) == (0, Decimal("0.00"))
    assert statement.total_excl_vat == Decimal("45.00")
    assert statement.cumulative_months == [MARCH, APRIL]
    assert lines["C1"].cumulative_billable_minutes == 420
    assert lines["C2"].cumulative_billable_minutes == 480
    assert statement.cumulative_total == Decimal("164.00")


def test_cumulative_figures_count_validated_months_only(app):
    org, order, c1, c2, trainees = two_composantes()
    gen_emargement(half_day(c2, date(2026, 3, 3)), trainees[0])
    gen_emargement(half_day(c2, date(2026, 4, 7)), trainees[0])
    synchronise_month(order, MARCH)
    validate_month(order, APRIL)
    statement = month_statement(db.session, org, order.id, APRIL)
    assert statement.cumulative_months == [APRIL]
    assert _by_code(statement)["C2"].cumulative_billable_minutes == 210


def test_an_organisation_subject_to_vat_adds_it_on_the_sum_of_rounded_lines(app):
    """210,42 € × 20 % = 42,084 → 42,08 €; TTC 252,50 €."""
    org, order = presentiel_march()
    org.vat_exempt, org.vat_rate = False, Decimal("20")
    validate_month(order)
    statement = month_statement(db.session, org, order.id, MARCH)
    assert statement.vat_amount == Decimal("42.08")
    assert statement.total_incl_vat == Decimal("252.50")
    assert statement.vat_mention is None


def test_another_organisations_bdc_is_not_found(app):
    _, order = presentiel_march()
    stranger = gen_org()
    with pytest.raises(Exception) as refused:
        month_statement(db.session, stranger, order.id, MARCH, preview=True)
    assert refused.value.code == "NOT_FOUND"
