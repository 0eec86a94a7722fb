"""Realised minutes added up by the database, checked against sums done by hand."""

from datetime import UTC, date, datetime

import pytest

from attendance.errors import NotFound
from attendance.hours.aggregate import hours_to_date, realised_hours, trainee_month_hours
from tests.factories import (
    gen_correction,
    gen_emargement,
    gen_org,
    gen_slot,
    gen_trainee,
    half_day,
    order_with,
)

MARCH = date(2026, 3, 1)


def _by_trainee_class(rows):
    return {(r.trainee_id, r.hour_class): r.minutes for r in rows}


def test_ten_minutes_late_loses_ten_minutes(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    slot = half_day(comp, date(2026, 3, 2))  # 210 minutes
    gen_emargement(slot, trainee, late_minutes=10)

    rows = trainee_month_hours(session, org, order.id, MARCH)

    assert _by_trainee_class(rows) == {(trainee.id, "centre"): 200}


def test_leaving_early_loses_the_minutes_not_attended(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    morning = half_day(comp, date(2026, 3, 2))
    afternoon = half_day(comp, date(2026, 3, 2), afternoon=True, minutes=180)
    gen_emargement(morning, trainee)
    gen_emargement(afternoon, trainee, early_leave_minutes=45)

    rows = trainee_month_hours(session, org, order.id, MARCH)

    assert _by_trainee_class(rows) == {(trainee.id, "centre"): 210 + 135}


def test_absent_autoformation_counts_nothing_and_unconfirmed_neither(session):
    org, order, (comp,) = order_with()
    absent, unconfirmed, confirmed = gen_trainee(org), gen_trainee(org), gen_trainee(org)
    slot = half_day(comp, date(2026, 3, 3), kind="autoformation", objective="Module 2")
    gen_emargement(slot, absent, status="absent", absence_reason="Malade")
    gen_emargement(slot, unconfirmed, confirmed=False)
    gen_emargement(slot, confirmed)

    got = _by_trainee_class(trainee_month_hours(session, org, order.id, MARCH))

    assert got == {
        (absent.id, "autoformation"): 0,
        (unconfirmed.id, "autoformation"): 0,
        (confirmed.id, "autoformation"): 210,
    }


def test_each_slot_kind_is_its_own_class(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    day = date(2026, 3, 4)
    for kind, extra in (
        ("centre", {}),
        ("distance", {"online_url": "https://visio"}),
        ("regroupement", {}),
    ):
        gen_emargement(half_day(comp, day, kind=kind, minutes=60, **extra), trainee)
        day = day.replace(day=day.day + 1)
    company = gen_slot(
        comp,
        starts_at=datetime(2026, 3, 9, 7, tzinfo=UTC),
        minutes=420,
        kind="company",
        trainee_id=trainee.id,
        company_name="Boulangerie",
    )
    gen_emargement(company, trainee, method="tutor")

    got = _by_trainee_class(trainee_month_hours(session, org, order.id, MARCH))

    assert got == {
        (trainee.id, "centre"): 60,
        (trainee.id, "distance"): 60,
        (trainee.id, "regroupement"): 60,
        (trainee.id, "company"): 420,
    }


def test_validated_day_correction_replaces_the_day_and_is_reported(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    day = date(2026, 3, 10)
    gen_emargement(half_day(comp, day), trainee, late_minutes=30)  # 180
    gen_emargement(half_day(comp, day, afternoon=True), trainee, status="absent")  # 0
    gen_emargement(half_day(comp, date(2026, 3, 11)), trainee)  # 210, another day
    gen_correction(trainee, comp, day, 400)
    gen_correction(trainee, comp, date(2026, 3, 11), 10, validated=False)  # not validated: ignored

    (row,) = trainee_month_hours(session, org, order.id, MARCH)

    assert (row.minutes, row.corrected_minutes, row.corrections) == (400 + 210, 400, 1)


def test_latest_correction_wins_and_month_correction_supersedes_days(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    gen_emargement(half_day(comp, date(2026, 3, 10)), trainee)
    gen_correction(trainee, comp, date(2026, 3, 10), 100)
    gen_correction(trainee, comp, date(2026, 3, 10), 120)  # the later one wins
    company = gen_slot(
        comp,
        starts_at=datetime(2026, 3, 9, 7, tzinfo=UTC),
        minutes=420,
        kind="company",
        trainee_id=trainee.id,
        company_name="Garage",
    )
    gen_emargement(company, trainee, method="tutor")
    gen_correction(trainee, comp, date(2026, 3, 20), 30, hour_class="company")  # day, superseded
    gen_correction(trainee, comp, MARCH, 1400, hour_class="company", scope="month")

    got = _by_trainee_class(trainee_month_hours(session, org, order.id, MARCH))

    assert got == {(trainee.id, "centre"): 120, (trainee.id, "company"): 1400}


def test_correction_on_a_day_without_sign_in_adds_its_minutes(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    gen_correction(trainee, comp, date(2026, 3, 12), 210)

    assert _by_trainee_class(trainee_month_hours(session, org, order.id, MARCH)) == {
        (trainee.id, "centre"): 210
    }


def test_slot_belongs_to_its_paris_month_not_its_utc_month(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    # 31 March 22:30 UTC is 1 April 00:30 in Paris (summer time since 29 March).
    late_night = gen_slot(
        comp, starts_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC), minutes=60, kind="autoformation"
    )
    gen_emargement(late_night, trainee)
    gen_correction(trainee, comp, date(2026, 4, 1), 45, hour_class="autoformation")

    assert trainee_month_hours(session, org, order.id, MARCH) == []
    (april,) = trainee_month_hours(session, org, order.id, date(2026, 4, 1))
    assert april.minutes == 45  # the correction of 1 April replaced the slot's 60


def test_grouping_by_month_and_totals_to_date(session):
    org, order, (first, second) = order_with(composantes=2)
    trainee = gen_trainee(org)
    gen_emargement(half_day(first, date(2026, 3, 2)), trainee)
    gen_emargement(half_day(second, date(2026, 4, 2), minutes=120), trainee)
    gen_emargement(half_day(first, date(2026, 5, 4), minutes=60), trainee)

    by_month = realised_hours(session, org, order.id, MARCH, date(2026, 5, 1), by=("month",))
    to_april = hours_to_date(session, org, order.id, date(2026, 4, 1), by=("composante_id",))
    (whole,) = realised_hours(session, org, order.id, MARCH, date(2026, 5, 1), by=())

    assert [(r.month, r.minutes) for r in by_month] == [
        (date(2026, 3, 1), 210),
        (date(2026, 4, 1), 120),
        (date(2026, 5, 1), 60),
    ]
    assert {(r.composante_id, r.minutes) for r in to_april} == {(first.id, 210), (second.id, 120)}
    assert whole.minutes == 390


def test_other_organisation_bdc_is_not_found_and_its_rows_never_counted(session):
    org, order, _ = order_with()
    other_org, other_order, (other_comp,) = order_with(gen_org())
    gen_emargement(half_day(other_comp, date(2026, 3, 2)), gen_trainee(other_org))

    with pytest.raises(NotFound):
        trainee_month_hours(session, org, other_order.id, MARCH)
    assert trainee_month_hours(session, org, order.id, MARCH) == []


def test_hours_no_trainee_signed_for_are_reported_as_corrections(session):
    """R12: trainer-marked and post-validation sign-ins are corrections; QR, link, kiosk and
    tutor sign-ins are the trainee's (or tutor's) own signature."""
    org, order, (comp,) = order_with()
    signed, unsigned = gen_trainee(org), gen_trainee(org)
    for number, method in enumerate(("qr", "link", "kiosk", "trainer", "correction")):
        slot = half_day(comp, date(2026, 3, 2 + number), minutes=60 + number)
        gen_emargement(
            slot, unsigned if method in ("trainer", "correction") else signed, method=method
        )
    company = gen_slot(
        comp,
        starts_at=datetime(2026, 3, 9, 7, tzinfo=UTC),
        minutes=420,
        kind="company",
        trainee_id=signed.id,
        company_name="Garage",
    )
    gen_emargement(company, signed, method="tutor")
    # Recorded absent by the trainer: no minutes, so nothing corrected either.
    gen_emargement(
        half_day(comp, date(2026, 3, 2), afternoon=True),
        unsigned,
        method="trainer",
        status="absent",
        signed_at=None,
    )

    rows = realised_hours(session, org, order.id, MARCH, by=("trainee_id",))

    got = {r.trainee_id: (r.minutes, r.corrected_minutes, r.corrections) for r in rows}
    assert got == {
        signed.id: (60 + 61 + 62 + 420, 0, 0),
        unsigned.id: (63 + 64, 63 + 64, 2),
    }


def test_a_day_correction_replaces_the_trainer_marked_minutes_it_covers(session):
    org, order, (comp,) = order_with()
    trainee = gen_trainee(org)
    day = date(2026, 3, 10)
    gen_emargement(half_day(comp, day), trainee, method="trainer", signed_at=None)  # 210
    gen_emargement(half_day(comp, date(2026, 3, 11)), trainee, method="trainer")  # 210
    gen_correction(trainee, comp, day, 180)

    (row,) = trainee_month_hours(session, org, order.id, MARCH)

    assert (row.minutes, row.corrected_minutes, row.corrections) == (180 + 210, 180 + 210, 2)
