"""Rule functions as plain values, without a request."""

from datetime import date

import pytest

from attendance.contract import rules
from attendance.errors import RuleViolation


def test_pathway_at_exactly_200_hours_is_accepted():
    rules.check_pathway_hours(130 * 60, 70 * 60, 200 * 60, 70 * 60, "Compétences Plus")


def test_pathway_one_minute_over_200_hours_is_refused_r1():
    with pytest.raises(RuleViolation) as caught:
        rules.check_pathway_hours(130 * 60 + 1, 70 * 60, 200 * 60, 70 * 60, "Compétences Plus")
    assert caught.value.code == "R1_PATHWAY_HOURS_EXCEEDED"
    assert "200,00 h" in caught.value.message


def test_company_over_70_hours_is_refused_r2():
    with pytest.raises(RuleViolation) as caught:
        rules.check_pathway_hours(10 * 60, 70 * 60 + 30, 200 * 60, 70 * 60, "Compétences Plus")
    assert caught.value.code == "R2_COMPANY_HOURS_EXCEEDED"


def test_dispositif_without_limits_accepts_long_pathways():
    rules.check_pathway_hours(900 * 60, 300 * 60, None, None, "Qualif'Pro")


def test_entry_in_following_year_is_refused_r6():
    with pytest.raises(RuleViolation) as caught:
        rules.check_entry_date(date(2027, 1, 4), date(2026, 1, 5), date(2027, 6, 30))
    assert caught.value.code == "R6_ENTRY_YEAR"


def test_aah_without_boe_is_refused_r15():
    rules.check_boe_aah(boe=True, aah=True)
    rules.check_boe_aah(boe=True, aah=False)
    rules.check_boe_aah(boe=False, aah=False)
    with pytest.raises(RuleViolation) as caught:
        rules.check_boe_aah(boe=False, aah=True)
    assert caught.value.code == "R15_BOE_AAH_INCONSISTENT"


def test_opening_date_is_the_earliest_entry_r8():
    assert rules.opening_date([date(2026, 3, 9), date(2026, 2, 2), date(2026, 4, 1)]) == date(
        2026, 2, 2
    )
    assert rules.opening_date([]) is None


def test_composante_over_its_volume_is_covered_by_another_r10_fungibility():
    check = rules.check_contracted_volume(1, {1: 120, 2: 50}, {1: 100, 2: 100}, "centre")
    assert check.uses_fungibility


def test_bdc_over_its_total_volume_is_refused_r10():
    with pytest.raises(RuleViolation) as caught:
        rules.check_contracted_volume(1, {1: 160, 2: 50}, {1: 100, 2: 100}, "centre")
    assert caught.value.code == "R10_CONTRACTED_VOLUME_EXCEEDED"
    assert "supérieur au volume contractualisé pour cette composante" in caught.value.message
    assert caught.value.details["bdc_prescribed_minutes"] == 210


def test_planned_exit_on_the_bdc_end_is_accepted_and_one_day_later_refused_r6():
    rules.check_planned_exit(date(2027, 6, 30), date(2027, 6, 30))
    with pytest.raises(RuleViolation) as caught:
        rules.check_planned_exit(date(2027, 7, 1), date(2027, 6, 30))
    assert caught.value.code == "EXIT_AFTER_BDC_END"
    assert "01/07/2027" in caught.value.message and "30/06/2027" in caught.value.message
