"""The local day of an instant has one home (``attendance.clock``), honouring
``ATTENDANCE_TIMEZONE``: a slot starting at 22:30 UTC on 31 March is on 1 April in Paris
(summer time) and in Tokyo, but still on 31 March in Guadeloupe. Every place that puts a
slot in a day or a month must agree: the hours engine, the declaration, the month lock,
billing and the sign-in sheet."""

from datetime import UTC, date, datetime

import pytest

from attendance import clock
from attendance.errors import Conflict
from attendance.extensions import db
from attendance.months import operations
from attendance.months.lock import ensure_slot_month_open
from billing.lines import month_statement
from reports.sheets import slot_sheets
from tests.factories import (
    gen_composante,
    gen_emargement,
    gen_org,
    gen_pathway,
    gen_purchase_order,
    gen_trainee,
    gen_user,
    validated_slot,
)

STARTS = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture(
    params=[
        ("Europe/Paris", date(2026, 4, 1)),
        ("Asia/Tokyo", date(2026, 4, 1)),
        ("America/Guadeloupe", date(2026, 3, 31)),
    ],
    ids=["paris", "tokyo", "guadeloupe"],
)
def zone(request, app, monkeypatch):
    name, day = request.param
    monkeypatch.setenv("ATTENDANCE_TIMEZONE", name)
    monkeypatch.setitem(app.config, "TIMEZONE", name)
    return name, day


@pytest.fixture
def late_slot(app):
    org = gen_org()
    trainer = gen_user(org, "trainer")
    billing = gen_user(org, "billing")
    order = gen_purchase_order(org)
    composante = gen_composante(order)
    trainee = gen_trainee(org)
    gen_pathway(trainee, composante, entry_date=date(2026, 3, 2))
    slot = validated_slot(composante, trainer, STARTS, minutes=60)
    gen_emargement(slot, trainee)
    db.session.commit()
    return org, order, slot, billing


def test_the_slot_s_day_and_month_follow_the_configured_zone_everywhere(zone, late_slot):
    name, day = zone
    org, order, slot, billing = late_slot
    month, other = day.replace(day=1), (MARCH if day.month == 4 else APRIL)

    assert clock.local_day(slot.starts_at) == day
    assert clock.window(month).timezone == name

    # Hours engine, through the declaration: the hour is in the slot's local month only.
    declared = operations.synchronise(db.session, org, order.id, month, billing)
    assert declared.totals["centre_minutes"] == 60
    assert (
        operations.synchronise(db.session, org, order.id, other, billing).totals["centre_minutes"]
        == 0
    )

    # The sign-in sheet dates the slot on its local day.
    assert slot_sheets(db.session, org, [slot])[0].slot.day == day

    # Validating the slot's month locks the slot; billing bills its hour in that month.
    ensure_slot_month_open(db.session, slot)
    operations.validate(db.session, org, order.id, month, billing)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        ensure_slot_month_open(db.session, slot)
    assert refused.value.code == "MONTH_VALIDATED"
    assert refused.value.details["month"] == f"{month:%Y-%m}"
    statement = month_statement(db.session, org, order.id, month)
    assert sum(line.billable_minutes for line in statement.lines) == 60
