"""R11: a month synchronisation cut off mid-way (the database connection lost after part
of the rows were built) leaves no partial snapshot: no new MonthDeclaration, the period's
state, version and date unchanged, and the client gets a 503 it can retry.

The timed-out push to the declaration endpoint, retried without a duplicate, is pinned in
tests/months/test_connector.py (test_a_timed_out_push_is_retried_without_a_duplicate)."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from attendance.extensions import db
from attendance.models import MonthDeclaration, MonthPeriod
from attendance.months import declaration as builder
from tests.api.helpers import assert_error, count
from tests.factories import month_setting

URL = "/api/purchase-orders/{}/months/2026-03"


class _CutAfterFirstRow:
    """A progress hook of the real builder that loses the database after one pathway."""

    total = 0

    def __init__(self):
        self.rows = 0

    def update(self, n=1):
        self.rows += n
        if self.rows > 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))


@pytest.fixture
def interrupted(monkeypatch):
    real = builder.build_declaration
    hooks = []

    def build(session, org, order, month, progress=None):
        hook = _CutAfterFirstRow()
        hooks.append(hook)
        return real(session, org, order, month, hook)

    monkeypatch.setattr(builder, "build_declaration", build)
    return hooks


def _period():
    db.session.expire_all()
    return db.session.scalars(select(MonthPeriod)).one_or_none()


def test_an_interrupted_first_sync_leaves_no_period_and_no_snapshot(client, app, interrupted):
    setting = month_setting()
    response = client.post(URL.format(setting.order.id) + "/sync", headers=setting.billing)
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert interrupted[0].rows == 2  # it did fail mid-way, after real work
    assert count(MonthDeclaration) == 0
    assert _period() is None


def test_an_interrupted_resync_keeps_the_previous_version_untouched(client, app, monkeypatch):
    setting = month_setting()
    url = URL.format(setting.order.id)
    assert client.post(url + "/sync", headers=setting.billing).status_code == 201
    before = _period()
    state, version, synced_at = before.state, before.version, before.synchronised_at
    checksum = db.session.scalars(select(MonthDeclaration.checksum)).one()

    real = builder.build_declaration
    monkeypatch.setattr(
        builder,
        "build_declaration",
        lambda session, org, order, month, progress=None: real(
            session, org, order, month, _CutAfterFirstRow()
        ),
    )
    response = client.post(url + "/sync", headers=setting.billing)
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    after = _period()
    assert (after.state, after.version, after.synchronised_at) == (state, version, synced_at)
    assert db.session.scalars(select(MonthDeclaration.checksum)).all() == [checksum]

    monkeypatch.setattr(builder, "build_declaration", real)
    retried = client.post(url + "/sync", headers=setting.billing)
    assert retried.status_code == 201 and retried.get_json()["version"] == version + 1
