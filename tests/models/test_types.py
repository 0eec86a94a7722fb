"""Money and instants survive a round trip identically on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from attendance.extensions import db
from attendance.models import Composante, Slot
from tests.factories import gen_composante, gen_org, gen_purchase_order, gen_slot


def test_unit_price_is_exact_decimal_not_float(app):
    composante = gen_composante(gen_purchase_order(gen_org()), unit_price=Decimal("0.1"))
    db.session.commit()
    db.session.expire_all()
    price = db.session.get(Composante, composante.id).unit_price
    assert isinstance(price, Decimal)
    assert price * 3 == Decimal("0.3")


def test_instants_come_back_aware_in_utc(app):
    paris_winter = timezone(timedelta(hours=1))
    slot = gen_slot(
        gen_composante(gen_purchase_order(gen_org())),
        starts_at=datetime(2026, 11, 23, 9, 0, tzinfo=paris_winter),
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Slot, slot.id)
    assert stored.starts_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert stored.starts_at.tzinfo is not None
    assert stored.scheduled_minutes == 210


def test_naive_datetimes_are_refused(app):
    composante = gen_composante(gen_purchase_order(gen_org()))
    with pytest.raises(Exception, match="naive"):
        gen_slot(composante, starts_at=datetime(2026, 11, 23, 9, 0))
    db.session.rollback()
