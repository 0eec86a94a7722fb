"""Properties of the engine over random months (hypothesis): the database agrees with the
pure per-slot definition, classes partition realised time, totals are the sum of their parts,
and no cap ever bills more than itself."""

from collections import defaultdict
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance.hours import limits
from attendance.hours.aggregate import realised_hours
from attendance.hours.classes import HOUR_CLASSES
from attendance.hours.realised import realised_minutes
from tests.factories import (
    gen_correction,
    gen_emargement,
    gen_org,
    gen_trainee,
    half_day,
    order_with,
)

MARCH = date(2026, 3, 1)
DB_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

sign_ins = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(["present", "present", "absent"]),
            "late_minutes": st.integers(0, 90),
            "early_leave_minutes": st.integers(0, 90),
            "confirmed": st.booleans(),
        }
    ),
)
slots = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(HOUR_CLASSES),
        "day": st.integers(1, 28),
        "afternoon": st.booleans(),
        "minutes": st.integers(30, 240),
        "sign_ins": st.lists(sign_ins, min_size=3, max_size=3),
    }
)
corrections = st.fixed_dictionaries(
    {
        "trainee": st.integers(0, 2),
        "day": st.integers(1, 28),
        "hour_class": st.sampled_from(HOUR_CLASSES),
        "minutes": st.integers(0, 300),
        "validated": st.booleans(),
    }
)
months = st.sampled_from([date(2026, 3, 1), date(2026, 4, 1)])


def _build(session, slot_specs, correction_specs, month_correction):
    org, order, (comp,) = order_with(gen_org())
    trainees = [gen_trainee(org) for _ in range(3)]
    # What the engine must find: per trainee, class and day, the pure function's sum.
    expected: dict[tuple[int, str, date], int] = defaultdict(int)
    for spec in slot_specs:
        day = spec["month"].replace(day=spec["day"])
        extra = {}
        if spec["kind"] == "company":
            extra = {"trainee_id": trainees[0].id, "company_name": "Atelier"}
        slot = half_day(comp, day, spec["afternoon"], spec["minutes"], kind=spec["kind"], **extra)
        for index, sign_in in enumerate(spec["sign_ins"]):
            if sign_in is None or (spec["kind"] == "company" and index > 0):
                continue
            gen_emargement(slot, trainees[index], **sign_in)
            expected[(index, spec["kind"], day)] += realised_minutes(
                spec["minutes"], kind=spec["kind"], **sign_in
            )
    replaced: dict[tuple[int, str, date], int] = {}
    for spec in correction_specs:
        day = MARCH.replace(day=spec["day"])
        gen_correction(
            trainees[spec["trainee"]],
            comp,
            day,
            spec["minutes"],
            spec["hour_class"],
            validated=spec["validated"],
        )
        if spec["validated"]:
            replaced[(spec["trainee"], spec["hour_class"], day)] = spec["minutes"]  # latest wins
    if month_correction is not None:
        gen_correction(trainees[0], comp, MARCH, month_correction, "company", scope="month")
        for key in [
            k for k in {**expected, **replaced} if k[:2] == (0, "company") and k[2].month == 3
        ]:
            expected.pop(key, None)
            replaced.pop(key, None)
        replaced[(0, "company", MARCH)] = month_correction
    expected.update(replaced)
    per_trainee_class: dict[tuple[int, str], int] = defaultdict(int)
    for (index, cls, _), minutes in expected.items():
        per_trainee_class[(trainees[index].id, cls)] += minutes
    return org, order, per_trainee_class


@DB_SETTINGS
@given(
    slot_specs=st.lists(st.builds(lambda s, m: {**s, "month": m}, slots, months), max_size=8),
    correction_specs=st.lists(corrections, max_size=3),
    month_correction=st.one_of(st.none(), st.integers(0, 2000)),
)
def test_database_totals_match_the_per_slot_definition(
    session, slot_specs, correction_specs, month_correction
):
    org, order, expected = _build(session, slot_specs, correction_specs, month_correction)

    rows = realised_hours(
        session, org, order.id, MARCH, date(2026, 4, 1), by=("trainee_id", "hour_class")
    )

    got = {(r.trainee_id, r.hour_class): r.minutes for r in rows if r.minutes}
    assert got == {key: minutes for key, minutes in expected.items() if minutes}


@DB_SETTINGS
@given(
    slot_specs=st.lists(st.builds(lambda s, m: {**s, "month": m}, slots, months), max_size=8),
    correction_specs=st.lists(corrections, max_size=3),
)
def test_classes_partition_time_and_totals_are_the_sum_of_their_parts(
    session, slot_specs, correction_specs
):
    org, order, _ = _build(session, slot_specs, correction_specs, None)

    def total(by):
        return sum(
            r.minutes
            for r in realised_hours(session, org, order.id, MARCH, date(2026, 4, 1), by=by)
        )

    fine = realised_hours(session, org, order.id, MARCH, date(2026, 4, 1))
    (whole,) = realised_hours(session, org, order.id, MARCH, date(2026, 4, 1), by=())

    # Every minute has one class, one trainee, one composante, one month: no row repeats a
    # key, and any way of cutting the same minutes adds up to the whole.
    assert len({(r.trainee_id, r.composante_id, r.hour_class, r.month) for r in fine}) == len(fine)
    assert all(r.hour_class in HOUR_CLASSES for r in fine)
    assert sum(r.minutes for r in fine) == whole.minutes
    for by in (("hour_class",), ("trainee_id",), ("month",), ("trainee_id", "hour_class")):
        assert total(by) == whole.minutes
    assert whole.minutes >= 0


@given(
    total=st.integers(0, 10_000),
    weights=st.dictionaries(st.integers(1, 50), st.integers(0, 3_000), max_size=12),
)
def test_allocation_never_gives_more_than_the_total_or_a_part_its_weight(total, weights):
    shares = limits.allocate(total, weights)

    assert sum(shares.values()) == min(total, sum(weights.values()))
    assert all(0 <= shares[key] <= weights[key] for key in weights)


@given(
    months_realised=st.lists(st.integers(0, 3_000), max_size=12),
    base=st.integers(0, 20_000),
    percent=st.sampled_from([20, 50]),
)
def test_autoformation_billed_over_the_months_never_exceeds_the_cap(months_realised, base, percent):
    cap = limits.percent_of(base, percent)
    before, billed = 0, 0
    for month in months_realised:
        billable = limits.room_in_month(month, cap, billed)
        assert 0 <= billable <= month
        billed += billable
        before += month

    check = limits.check_autoformation(before, base, percent)
    assert billed == check.billable_minutes == min(before, cap) <= cap
    assert check.billable_minutes + check.excess_minutes == before


@given(
    months=st.lists(
        st.dictionaries(st.integers(1, 6), st.integers(0, 3_000), max_size=6), max_size=8
    ),
    contracted=st.dictionaries(st.integers(1, 6), st.integers(0, 5_000), min_size=1, max_size=6),
)
def test_month_by_month_volumes_never_bill_beyond_the_bdc_total_nor_undo_a_month(
    months, contracted
):
    """R10 month after month: every month bills between 0 and what it realised, a
    composante bills its own volume first, and the BDC never bills more than its total."""
    used: dict[int, int] = {}
    total = 0
    for quantity in months:
        quantity = {cid: q for cid, q in quantity.items() if cid in contracted}
        allocation = limits.allocate_volumes(quantity, contracted, used)
        for cid in contracted:
            assert 0 <= allocation.billable[cid] <= quantity.get(cid, 0)
            own_room = max(contracted[cid] - used.get(cid, 0), 0)
            assert allocation.billable[cid] >= min(quantity.get(cid, 0), own_room)
            assert allocation.used_after[cid] >= used.get(cid, 0)
        total += sum(allocation.billable.values())
        used = allocation.used_after
        assert total == sum(used.values()) <= sum(contracted.values())


@given(
    volumes=st.dictionaries(
        st.integers(1, 20),
        st.tuples(st.integers(0, 5_000), st.integers(0, 5_000)),
        min_size=1,
        max_size=6,
    )
)
def test_fungibility_never_bills_more_than_the_bdc_total_or_than_realised(volumes):
    realised = {cid: r for cid, (r, _) in volumes.items()}
    contracted = {cid: c for cid, (_, c) in volumes.items()}

    checks = limits.check_volumes(realised, contracted)

    billed = sum(c.billable_minutes for c in checks)
    assert billed == min(sum(realised.values()), sum(contracted.values()))
    for check in checks:
        assert check.billable_minutes <= realised[check.composante_id]
        assert check.billable_minutes + check.excess_minutes == realised[check.composante_id]
        assert (check.status == limits.EXCEEDED) == (check.excess_minutes > 0)
