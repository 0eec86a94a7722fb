"""Contract checks on realised hours, each with figures computed by hand."""

from datetime import UTC, date, datetime

from attendance.hours import limits
from attendance.hours.caps import billable_month_hours, cap_checks
from tests.factories import (
    gen_emargement,
    gen_pathway,
    gen_slot,
    gen_trainee,
    half_day,
    order_with,
)

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _checks(checks, rule):
    return [c for c in checks if c.rule == rule]


def _long_slot(comp, day, minutes, kind="centre", **fields):
    return gen_slot(
        comp,
        starts_at=datetime(day.year, day.month, day.day, 7, tzinfo=UTC),
        minutes=minutes,
        kind=kind,
        **fields,
    )


def test_e_formation_autoformation_is_half_of_the_prescribed_hours_and_included(session):
    # R5: an e-formation composante's volume is in group-hours, so R3's 50 % is read against
    # the trainees' prescribed centre hours (2 × 50 h = 100 h → 50 h), in the same unit as
    # their autoformation. Realised 60 h: flagged (10 h beyond), never billed apart.
    org, order, (comp,) = order_with(mode="e_formation", contracted_centre_minutes=20 * 60)
    first, second = gen_trainee(org), gen_trainee(org)
    for trainee in (first, second):
        gen_pathway(trainee, comp, prescribed_centre_minutes=50 * 60, prescribed_company_minutes=0)
    gen_emargement(_long_slot(comp, date(2026, 3, 2), 36 * 60, "autoformation"), first)
    gen_emargement(_long_slot(comp, date(2026, 3, 5), 24 * 60, "autoformation"), second)

    (r3,) = _checks(cap_checks(session, org, order.id, MARCH), "R3")
    billable = billable_month_hours(session, org, order.id, MARCH)

    assert r3.status == limits.EXCEEDED
    assert r3.figures == {
        "autoformation_minutes": 3600,
        "prescribed_base_minutes": 6000,
        "limit_percent": 50,
        "cap_minutes": 3000,
    }
    assert r3.excess_minutes == 600
    assert all("R5" in b.reason for b in billable)


def test_presentiel_autoformation_capped_at_twenty_percent_across_months(session):
    # 100 h contracted: cap 20 h. March 15 h (all billable), April 10 h: only 5 h billable.
    org, order, (comp,) = order_with(contracted_centre_minutes=100 * 60)
    trainee = gen_trainee(org)
    gen_emargement(_long_slot(comp, date(2026, 3, 2), 15 * 60, "autoformation"), trainee)
    gen_emargement(_long_slot(comp, date(2026, 4, 2), 10 * 60, "autoformation"), trainee)

    (march,) = billable_month_hours(session, org, order.id, MARCH)
    (april,) = billable_month_hours(session, org, order.id, APRIL)
    (r3_march,) = _checks(cap_checks(session, org, order.id, MARCH), "R3")
    (r3_april,) = _checks(cap_checks(session, org, order.id, APRIL), "R3")

    assert (march.minutes, march.billable_minutes, march.reason) == (900, 900, None)
    assert (april.minutes, april.billable_minutes) == (600, 300)
    assert r3_march.status == limits.OK  # 15 h < 90 % of 20 h
    assert (r3_april.status, r3_april.excess_minutes) == (limits.EXCEEDED, 300)


def test_company_hours_are_realised_but_never_billed(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    slot = _long_slot(
        comp, date(2026, 3, 9), 420, "company", trainee_id=trainee.id, company_name="Menuiserie"
    )
    gen_emargement(slot, trainee, method="tutor")

    (row,) = billable_month_hours(session, org, order.id, MARCH)

    assert (row.hour_class, row.minutes, row.billable_minutes) == ("company", 420, 0)


def test_pathway_over_200_hours_and_company_over_70_hours_are_exceeded(session):
    org, order, (comp,) = order_with()
    trainee, careful = gen_trainee(org), gen_trainee(org)
    gen_emargement(_long_slot(comp, date(2026, 3, 2), 130 * 60), trainee)
    company = _long_slot(
        comp, date(2026, 3, 20), 71 * 60, "company", trainee_id=trainee.id, company_name="Garage"
    )
    gen_emargement(company, trainee, method="tutor")
    gen_emargement(_long_slot(comp, date(2026, 3, 3), 185 * 60), careful)  # 92.5 % of 200 h

    checks = cap_checks(session, org, order.id, MARCH)
    r1 = {c.trainee_id: c for c in _checks(checks, "R1")}
    r2 = {c.trainee_id: c for c in _checks(checks, "R2")}

    assert (r1[trainee.id].status, r1[trainee.id].excess_minutes) == (limits.EXCEEDED, 60)
    assert r1[trainee.id].figures["total_minutes"] == 201 * 60
    assert (r2[trainee.id].status, r2[trainee.id].excess_minutes) == (limits.EXCEEDED, 60)
    assert r1[careful.id].status == limits.WARNING
    assert r2[careful.id].status == limits.OK


def test_hybrid_distance_over_half_is_exceeded_and_not_checked_in_presentiel(session):
    # Centre 4 h, FAD 3 h, autoformation 2 h: 5 h at distance of 9 h = 55.56 % > 50 %.
    org, order, (comp,) = order_with(mode="hybride")
    trainee = gen_trainee(org)
    gen_emargement(half_day(comp, date(2026, 3, 2), minutes=240), trainee)
    gen_emargement(half_day(comp, date(2026, 3, 3), minutes=180, kind="distance"), trainee)
    gen_emargement(half_day(comp, date(2026, 3, 4), minutes=120, kind="autoformation"), trainee)
    _, presentiel, (other,) = order_with(org)
    gen_emargement(half_day(other, date(2026, 3, 3), minutes=180, kind="distance"), trainee)

    (r4,) = _checks(cap_checks(session, org, order.id, MARCH), "R4")

    assert r4.status == limits.EXCEEDED
    assert r4.figures["share_percent"] == 55.56
    assert (r4.figures["cap_minutes"], r4.excess_minutes) == (270, 30)
    assert _checks(cap_checks(session, org, presentiel.id, MARCH), "R4") == []


def test_twenty_one_trainees_in_one_slot_is_a_warning_not_an_error(session):
    org, order, (comp,) = order_with()
    crowded, normal = half_day(comp, date(2026, 3, 2)), half_day(comp, date(2026, 3, 3))
    for n in range(21):
        trainee = gen_trainee(org)
        gen_emargement(crowded, trainee)
        if n < 20:
            gen_emargement(normal, trainee)
    gen_emargement(normal, gen_trainee(org), status="absent")  # absent: not in the room

    (r7,) = _checks(cap_checks(session, org, order.id, MARCH), "R7")

    assert (r7.status, r7.slot_id, r7.figures) == (
        limits.WARNING,
        crowded.id,
        {"present": 21, "limit": 20},
    )


def test_fungibility_between_two_composantes(session):
    # A: 10 h contracted, 12 h realised. B: 10 h contracted, 6 h realised. A borrows 2 h of
    # B's 4 unused hours: a warning, everything billable, the BDC within its 20 h.
    org, order, (a, b) = order_with(
        composantes=2, contracted_centre_minutes=600, contracted_company_minutes=0
    )
    trainee = gen_trainee(org)
    gen_emargement(_long_slot(a, date(2026, 3, 2), 720), trainee)
    gen_emargement(_long_slot(b, date(2026, 3, 3), 360), trainee)

    r10 = {
        c.composante_id: c
        for c in _checks(cap_checks(session, org, order.id, MARCH), "R10")
        if c.figures["hour_type"] == "centre"
    }

    assert (r10[a.id].status, r10[a.id].figures["fungible_minutes"]) == (limits.WARNING, 120)
    assert (r10[a.id].billable_minutes, r10[a.id].excess_minutes) == (720, 0)
    assert (r10[b.id].status, r10[b.id].billable_minutes) == (limits.OK, 360)
    assert r10[a.id].figures["quantity_minutes"] == 720
    assert "B" in r10[a.id].message or b.code in r10[a.id].message


def test_fungibility_runs_out_and_the_rest_is_exceeded():
    # A realised 15 h of 10 h, B 9 h of 10 h: only 1 h to borrow, 4 h not billable.
    a, b = limits.check_volumes({1: 900, 2: 540}, {1: 600, 2: 600})

    assert (a.status, a.billable_minutes, a.excess_minutes) == (limits.EXCEEDED, 660, 240)
    assert (b.status, b.billable_minutes) == (limits.OK, 540)


def test_limits_come_from_the_dispositif_by_bdc_mode():
    class Dispositif:
        autoformation_cap_percent = 20
        eformation_autoformation_cap_percent = 50
        hybrid_distance_cap_percent = 40

    r3, r4 = limits.CAP_RULES["R3"], limits.CAP_RULES["R4"]

    assert (r3.limit(Dispositif, "presentiel"), r3.limit(Dispositif, "e_formation")) == (20, 50)
    assert r4.limit(Dispositif, "hybride") == 40
    assert (r4.applies_to("hybride"), r4.applies_to("presentiel")) == (True, False)


def test_grade_warns_from_ninety_percent():
    assert [limits.grade(v, 100) for v in (89, 90, 100, 101)] == [
        limits.OK,
        limits.WARNING,
        limits.WARNING,
        limits.EXCEEDED,
    ]
    assert limits.grade(10**6, None) == limits.OK
