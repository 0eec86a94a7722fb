"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timezone-aware timestamps and stores NUMERIC as a float; money
and instants must not depend on which database the organisation runs.
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator

FOUR_PLACES = Decimal("0.0001")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python, UTC in the database; naive input is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC instants only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """Exact decimal euros: NUMERIC on PostgreSQL, text on SQLite (never a float)."""

    impl = Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(14, 4))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(FOUR_PLACES)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(FOUR_PLACES)


def utcnow() -> datetime:
    return datetime.now(UTC)
