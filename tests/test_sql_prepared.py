"""``sql.Prepared``: a statement run on the driver's cursor behaves as through SQLAlchemy —
the types' conversions both ways, the session's transaction, SQLAlchemy's errors."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from attendance.extensions import db
from attendance.models import Emargement, EvidenceEntry
from attendance.signing.statements import SignedRow
from attendance.sql import Prepared
from tests.factories import gen_org

_ENTRIES = EvidenceEntry.__table__
_COLUMNS = ("organisation_id", "chain", "seq", "at", "kind", "payload", "prev_hash", "hash")
_INSERT = Prepared(insert(_ENTRIES).returning(_ENTRIES.c.id), _COLUMNS)
_READ = Prepared(
    select(_ENTRIES.c.at, _ENTRIES.c.payload, _ENTRIES.c.seq).where(
        _ENTRIES.c.organisation_id == bindparam("org"), _ENTRIES.c.seq >= bindparam("from_seq")
    )
)


def _entry(org_id: int, seq: int) -> dict:
    return {
        "organisation_id": org_id,
        "chain": "organisation",
        "seq": seq,
        "at": datetime(2026, 3, 30, 22, 15, 1, 123456, tzinfo=UTC),
        "kind": "test",
        "payload": {"nom": "Élodie", "n": [1, 2]},
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }


def test_values_go_in_and_come_back_through_the_column_types(app):
    org = gen_org()
    db.session.commit()
    (new_id,) = _INSERT.first(db.session, _entry(org.id, 1))
    assert isinstance(new_id, int)
    rows = _READ.rows(db.session, {"org": org.id, "from_seq": 1})
    assert rows == [
        (datetime(2026, 3, 30, 22, 15, 1, 123456, tzinfo=UTC), _entry(0, 0)["payload"], 1)
    ]
    assert rows[0][0].tzinfo is not None  # aware UTC on SQLite too
    assert _READ.first(db.session, {"org": org.id, "from_seq": 2}) is None


def test_it_runs_in_the_session_s_transaction_and_raises_sqlalchemy_s_errors(app):
    org = gen_org()
    db.session.commit()
    _INSERT.rows(db.session, _entry(org.id, 1))
    db.session.rollback()
    assert _READ.rows(db.session, {"org": org.id, "from_seq": 0}) == []
    _INSERT.rows(db.session, _entry(org.id, 1))
    with pytest.raises(IntegrityError):
        _INSERT.rows(db.session, _entry(org.id, 1))  # (organisation, chain, seq) is unique
    db.session.rollback()
    assert _READ.rows(db.session, {"org": org.id, "from_seq": 0}) == []


def test_a_column_left_to_a_python_default_is_refused_when_rendered(app):
    partial = Prepared(insert(_ENTRIES), [name for name in _COLUMNS if name != "chain"])
    with pytest.raises(ValueError):
        partial.rows(db.session, {})
    db.session.rollback()


def test_a_sign_ins_plain_row_has_exactly_the_records_columns():
    """``SignedRow`` mirrors ``Emargement``'s columns (a sign-in answers with it and its
    digest is computed from it): a column added to the record must be added there too."""
    assert set(SignedRow.__slots__) == set(Emargement.__table__.columns.keys())
