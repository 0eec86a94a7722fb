"""The one clock: local days and months, in Python and in SQL.

Instants are stored in UTC; a day, a month and a correction's date are local ones, in the
configured zone (``ATTENDANCE_TIMEZONE``, Europe/Paris by default). A slot at 23:30 UTC on
31 March belongs to April in Paris. Everything that needs "which day is this" asks here.

PostgreSQL converts with its own time-zone database; SQLite has none, so the offsets in
force over the queried window are read from ``zoneinfo`` and written into the query as a
CASE over the (rare) transitions.
"""

import functools
import itertools
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Date, Integer, case, cast, func, type_coerce
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from attendance.errors import DomainError
from attendance.models.types import UTCDateTime, utcnow

DEFAULT_TIMEZONE = "Europe/Paris"


def timezone_name() -> str:
    """The configured zone: the app's ``TIMEZONE`` (from ``ATTENDANCE_TIMEZONE``), or the
    environment's outside a request or command."""
    if has_app_context():
        return current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE)
    return os.environ.get("ATTENDANCE_TIMEZONE", DEFAULT_TIMEZONE)


def zone() -> ZoneInfo:
    return ZoneInfo(timezone_name())


def local_day(instant: datetime) -> date:
    """The local day an instant falls on; it decides the instant's month."""
    return instant.astimezone(zone()).date()


def local_time(instant: datetime) -> datetime:
    return instant.astimezone(zone())


# A slot is named after the part of the day it starts in: what a trainer and a trainee call it.
EVENING_FROM_HOUR = 17


def half_day(starts_at: datetime) -> str:
    """« matin », « après-midi » or « soirée », from the local hour the slot starts at (an
    evening class at 18:00 is not an afternoon)."""
    hour = local_time(starts_at).hour
    if hour < 12:
        return "matin"
    return "après-midi" if hour < EVENING_FROM_HOUR else "soirée"


def today() -> date:
    return local_day(utcnow())


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time on ``day``, as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone()).astimezone(UTC)


def display(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """An instant as people read it: local time, « — » when absent."""
    if value is None:
        return "—"
    return local_time(value).strftime(fmt)


FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_month(text: str) -> date:
    """« 2026-03 » → 1 March 2026; a clear French error otherwise. Years outside 2000–2100
    are refused (422): no training happens there, and a month at the calendar's edge
    (9999-12) has no next month to end its window."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DomainError(
            "INVALID_MONTH",
            f"Mois invalide « {text} » : utilisez le format AAAA-MM, par exemple 2026-03.",
            {"month": text},
        ) from exc
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise DomainError(
            "MONTH_OUT_OF_RANGE",
            f"Mois hors limites « {text} » : choisissez un mois entre {FIRST_YEAR}-01 et "
            f"{LAST_YEAR}-12.",
            {"month": text, "first": f"{FIRST_YEAR}-01", "last": f"{LAST_YEAR}-12"},
            status=422,
        )
    return first


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    month = first_of_month(month)
    return date(month.year - 1, 12, 1) if month.month == 1 else month.replace(month=month.month - 1)


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from ``first`` to ``last`` included."""
    months, current = [], first_of_month(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


@dataclass(frozen=True)
class Window:
    """Local months ``first_month`` … ``last_month`` as a half-open UTC interval."""

    first_month: date
    last_month: date
    timezone: str
    utc_from: datetime
    utc_to: datetime

    @property
    def single_month(self) -> bool:
        return self.first_month == self.last_month

    @property
    def end_date(self) -> date:
        """The first local day after the window (exclusive bound for dates)."""
        return next_month(self.last_month)

    def holds(self, instant):
        """SQL condition: ``instant`` (a slot's start) falls in the window. A slot belongs
        to the month it starts in, so this is how every query picks a month's slots."""
        return (instant >= self.utc_from) & (instant < self.utc_to)


def local_midnight_utc(day: date, timezone: str | None = None) -> datetime:
    zone_info = ZoneInfo(timezone) if timezone else zone()
    return datetime(day.year, day.month, day.day, tzinfo=zone_info).astimezone(UTC)


def window(first_month: date, last_month: date | None = None, timezone: str | None = None):
    """The UTC interval covering whole local months (a slot belongs to its start's month)."""
    timezone = timezone or timezone_name()
    first_month = first_of_month(first_month)
    last_month = first_of_month(last_month or first_month)
    if last_month < first_month:
        raise DomainError(
            "INVALID_PERIOD",
            "Le dernier mois précède le premier : inversez-les.",
            {"first_month": first_month.isoformat(), "last_month": last_month.isoformat()},
        )
    return Window(
        first_month,
        last_month,
        timezone,
        local_midnight_utc(first_month, timezone),
        local_midnight_utc(next_month(last_month), timezone),
    )


def _offset(instant: datetime, zone_info: ZoneInfo) -> int:
    return int(instant.astimezone(zone_info).utcoffset().total_seconds() // 60)


def offset_segments(win: Window) -> list[tuple[datetime, int]]:
    """(UTC instant from which it applies, offset in minutes) over the window, first one
    applying from the window's start."""
    return list(_segments(win.timezone, win.utc_from, win.utc_to))


@functools.lru_cache(maxsize=128)
def _segments(timezone: str, utc_from: datetime, utc_to: datetime) -> tuple:
    """A European zone changes at most once a day, on the hour: day steps find the day of
    each transition, hour steps inside it the instant, so a window of decades costs days,
    not hours (and one request's queries share the result)."""
    zone_info = ZoneInfo(timezone)
    segments = [(utc_from, _offset(utc_from, zone_info))]
    day_start = utc_from
    while day_start < utc_to:
        day_end = min(day_start + timedelta(days=1), utc_to)
        if _offset(day_end, zone_info) != segments[-1][1] or day_end == utc_to:
            instant = day_start + timedelta(hours=1)
            while instant <= day_end and instant < utc_to:
                offset = _offset(instant, zone_info)
                if offset != segments[-1][1]:
                    segments.append((instant, offset))
                instant += timedelta(hours=1)
        day_start = day_end
    return tuple(segments)


def _sqlite_shifted(column, win: Window, *modifiers: str) -> ColumnElement:
    segments = offset_segments(win)

    def shifted(offset: int):
        return func.date(column, f"{offset:+d} minutes", *modifiers)

    if len(segments) == 1:
        return shifted(segments[0][1])
    whens = [
        (column < type_coerce(start, UTCDateTime), shifted(offset))
        for (_, offset), (start, _) in itertools.pairwise(segments)
    ]
    return case(*whens, else_=shifted(segments[-1][1]))


def day_sql(column, win: Window, dialect: str) -> ColumnElement:
    """The local calendar day of a UTC instant column (valid for instants inside ``win``)."""
    if dialect == "postgresql":
        return cast(func.timezone(win.timezone, column), Date)
    return type_coerce(_sqlite_shifted(column, win), Date)


def month_sql(column, win: Window, dialect: str) -> ColumnElement:
    """The first day of the local month of a UTC instant column (inside ``win``)."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", func.timezone(win.timezone, column)), Date)
    return type_coerce(_sqlite_shifted(column, win, "start of month"), Date)


def month_of_date(column, dialect: str) -> ColumnElement:
    """The first day of the month of a DATE column."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return type_coerce(func.date(column, "start of month"), Date)


def scheduled_minutes(starts_at, ends_at, dialect: str) -> ColumnElement:
    """Whole minutes between two instants, as ``Slot.scheduled_minutes`` computes them."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", ends_at - starts_at) / 60), Integer)
    seconds = cast((func.julianday(ends_at) - func.julianday(starts_at)) * 86400 + 0.5, Integer)
    return seconds // 60


def at_least_zero(value, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return func.greatest(value, 0)
    return func.max(value, 0)  # SQLite's two-argument max() is the scalar maximum


def without_index(column, dialect: str) -> ColumnElement:
    """The column wrapped so SQLite will not pick its index (``+column``), for a query that
    a few rows of another table should drive; PostgreSQL's planner needs no such help."""
    if dialect == "sqlite":
        return UnaryExpression(column, operator=custom_op("+"), type_=column.type)
    return column
