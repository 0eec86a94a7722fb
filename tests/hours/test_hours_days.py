"""Realised minutes per local day (the declaration's day-by-day grid), from the hours engine."""

from datetime import date

from attendance.hours.aggregate import day_minutes
from tests.factories import gen_correction, gen_emargement, gen_trainee, half_day, order_with

MARCH = date(2026, 3, 1)


def test_each_local_day_holds_its_realised_minutes_and_a_day_correction_replaces_it(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    gen_emargement(half_day(comp, date(2026, 3, 2)), trainee, late_minutes=10)
    gen_emargement(half_day(comp, date(2026, 3, 2), afternoon=True, minutes=180), trainee)
    gen_emargement(half_day(comp, date(2026, 3, 3)), trainee, status="absent")
    gen_correction(trainee, comp, date(2026, 3, 3), 120)

    days = day_minutes(session, org, order.id, MARCH)

    assert dict(days[trainee.id, comp.id]) == {"2026-03-02": 200 + 180, "2026-03-03": 120}


def test_a_month_correction_replaces_its_class_days_with_one_month_line(session):
    """R12: a company period's month correction stands for the whole month of its class."""
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    gen_emargement(
        half_day(
            comp,
            date(2026, 3, 4),
            kind="company",
            trainee_id=trainee.id,
            company_name="Garage Lafon",
        ),
        trainee,
    )
    gen_emargement(half_day(comp, date(2026, 3, 5)), trainee)
    gen_correction(trainee, comp, date(2026, 3, 15), 35 * 60, hour_class="company", scope="month")

    days = day_minutes(session, org, order.id, MARCH)

    assert dict(days[trainee.id, comp.id]) == {"2026-03-05": 210, "month": 35 * 60}
