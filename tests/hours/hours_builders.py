"""Small builders for the hours tests, on top of tests/factories.py."""

from datetime import UTC, date, datetime

from attendance.extensions import db
from attendance.models import Correction
from tests.factories import gen_composante, gen_org, gen_purchase_order, gen_slot

MORNING_UTC = (8, 0)  # 09:00 or 10:00 in Paris: always the same local day
AFTERNOON_UTC = (12, 30)


def order_with(org=None, mode="presentiel", composantes=1, **composante_fields):
    org = org or gen_org()
    order = gen_purchase_order(org, mode=mode)
    made = [gen_composante(order, **composante_fields) for _ in range(composantes)]
    return org, order, made


def half_day(composante, day: date, afternoon=False, minutes=210, **fields):
    hour, minute = AFTERNOON_UTC if afternoon else MORNING_UTC
    starts = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return gen_slot(composante, starts_at=starts, minutes=minutes, **fields)


def correction(
    trainee,
    composante,
    day: date,
    minutes: int,
    hour_class="centre",
    scope="day",
    validated=True,
    reason="Feuille papier signée",
    **fields,
):
    row = Correction(
        organisation_id=trainee.organisation_id,
        trainee_id=trainee.id,
        composante_id=composante.id,
        day=day,
        hour_class=hour_class,
        minutes=minutes,
        scope=scope,
        validated=validated,
        reason=reason,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row
