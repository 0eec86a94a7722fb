"""Realised hours added up by the database: per trainee, composante, class and month of a BDC.

One SQL statement does it, with GROUP BY; Python never walks the sign-ins. It joins (FULL
OUTER JOIN on the group keys, SQLite ≥ 3.39) two aggregates:

* signed: each sign-in's realised minutes (``realised.realised_minutes`` written in SQL),
  grouped once over the whole window;
* adjustments, driven by the few validated corrections: minus the signed minutes of every
  day (month) a correction covers, plus the correction's minutes.

R12 (FAQ 45): a *correctif horaire* replaces the realised minutes of its day (centre hours)
or of its month (company periods) for one trainee, composante and class. Only validated
corrections count; of several for the same day the latest wins, and a month correction
supersedes the day corrections of that month. Sign-ins no trainee signed for (the trainer
marked the trainee present, or changed the record after the slot's validation:
``UNSIGNED_METHODS``) are corrections too. What comes from corrections is reported apart
(``corrected_minutes``, ``corrections``) so every output can show it as exceptional; a
correctif that replaces a day also takes that day's unsigned minutes out of that part.

Other work reads hours from here: the monthly declaration (per trainee and class, and its
day-by-day grid from ``day_minutes``), billing (``caps.billable_month_hours`` on top of these
rows) and certificates (one trainee, any months) call ``realised_hours`` or its two
shorthands.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from attendance import clock
from attendance.errors import DomainError
from attendance.models import (
    UNSIGNED_METHODS,
    Composante,
    Correction,
    Emargement,
    Organisation,
    PurchaseOrder,
    Slot,
)
from attendance.tenancy import get_owned

GROUP_KEYS: tuple[str, ...] = ("trainee_id", "composante_id", "hour_class", "month")


class HoursRow(NamedTuple):
    """Realised minutes of one group; keys not grouped by are ``None``.

    ``minutes`` is the realised time after corrections; ``corrected_minutes`` is the part of
    it that comes from validated corrections and unsigned sign-ins (R12), ``corrections``
    how many of them were applied.
    """

    minutes: int
    corrected_minutes: int = 0
    corrections: int = 0
    trainee_id: int | None = None
    composante_id: int | None = None
    hour_class: str | None = None
    month: date | None = None


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def _sign_in_minutes(dialect: str):
    """One joined Emargement and Slot row's realised minutes (``realised.realised_minutes``)."""
    scheduled = clock.scheduled_minutes(Slot.starts_at, Slot.ends_at, dialect)
    net = scheduled - Emargement.late_minutes - Emargement.early_leave_minutes
    counted = and_(
        Emargement.status == "present",
        or_(Slot.kind != "autoformation", Emargement.confirmed.is_(True)),
    )
    return _when(counted, clock.at_least_zero(net, dialect))


def realised_minutes_sql(dialect: str):
    """SQL twin of ``realised.realised_minutes`` over the joined Emargement and Slot rows."""
    return func.coalesce(func.sum(_sign_in_minutes(dialect)), 0)


def unsigned_minutes_sql(dialect: str):
    """R12: the part of ``realised_minutes_sql`` no trainee signed for (``UNSIGNED_METHODS``:
    marked present by the trainer, changed after validation), a correction in every output."""
    unsigned = Emargement.method.in_(UNSIGNED_METHODS)
    return func.coalesce(func.sum(_when(unsigned, _sign_in_minutes(dialect))), 0)


def unsigned_count_sql(dialect: str):
    """R12: how many unsigned sign-ins carry minutes (each one a correction)."""
    unsigned = and_(Emargement.method.in_(UNSIGNED_METHODS), _sign_in_minutes(dialect) > 0)
    return func.coalesce(func.sum(_when(unsigned, 1)), 0)


def _when(condition, value):
    return case((condition, value), else_=0)


def _check_keys(by: Sequence[str]) -> tuple[str, ...]:
    unknown = [key for key in by if key not in GROUP_KEYS]
    if unknown:
        raise DomainError(
            "INVALID_GROUPING",
            f"Regroupement inconnu {unknown} : choisissez parmi {', '.join(GROUP_KEYS)}.",
            {"by": list(by)},
        )
    return tuple(key for key in GROUP_KEYS if key in by)


def realised_hours(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    first_month: date,
    last_month: date | None = None,
    *,
    by: Sequence[str] = GROUP_KEYS,
    trainee_id: int | None = None,
    timezone: str | None = None,
) -> list[HoursRow]:
    """Realised minutes of a BDC's trainees over local months ``first_month``…``last_month``,
    grouped by ``by`` (any of ``GROUP_KEYS``), computed by one GROUP BY statement.

    A slot belongs to the month (Europe/Paris) of its start. Another organisation's BDC is
    reported as not found. Rows come ordered by their keys.
    """
    keys = _check_keys(by)
    get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    win = clock.window(first_month, last_month, timezone)
    dialect = dialect_of(session)
    # A single month needs no month expression: every row belongs to it.
    month_in_sql = "month" in keys and not win.single_month
    sql_keys = [key for key in keys if key != "month" or month_in_sql]

    composantes = select(Composante.id).where(
        Composante.organisation_id == org.id, Composante.purchase_order_id == purchase_order_id
    )
    effective = effective_corrections(org, composantes, win, dialect, trainee_id)

    slot_keys = {
        "trainee_id": Emargement.trainee_id,
        "composante_id": Slot.composante_id,
        "hour_class": Slot.kind,
        "month": clock.month_sql(Slot.starts_at, win, dialect) if month_in_sql else None,
    }
    in_window = and_(
        Slot.organisation_id == org.id,
        win.holds(Slot.starts_at),
    )
    signed = (
        select(
            *[slot_keys[key].label(key) for key in sql_keys],
            realised_minutes_sql(dialect).label("minutes"),
            unsigned_minutes_sql(dialect).label("corrected"),
            unsigned_count_sql(dialect).label("corrections"),
        )
        .select_from(Emargement)
        .join(Slot, Slot.id == Emargement.slot_id)
        .where(
            in_window,
            Emargement.organisation_id == org.id,
            Slot.composante_id.in_(composantes),
        )
    )
    if trainee_id is not None:
        signed = signed.where(Emargement.trainee_id == trainee_id)

    fix = effective
    # Driven by the (few) corrections: each finds its trainee's sign-ins through the
    # trainee index, never by walking the month's slots.
    replaced = (
        select(
            *[slot_keys[key].label(key) for key in sql_keys],
            (-realised_minutes_sql(dialect)).label("minutes"),
            (-unsigned_minutes_sql(dialect)).label("corrected"),
            (-unsigned_count_sql(dialect)).label("corrections"),
        )
        .select_from(fix)
        .join(Emargement, Emargement.trainee_id == fix.c.trainee_id)
        .join(
            Slot,
            and_(
                Slot.id == Emargement.slot_id,
                Slot.composante_id == fix.c.composante_id,
                Slot.kind == fix.c.hour_class,
            ),
        )
        .where(
            Slot.organisation_id == org.id,
            win.holds(clock.without_index(Slot.starts_at, dialect)),
            or_(
                and_(
                    fix.c.scope == "day",
                    clock.day_sql(Slot.starts_at, win, dialect) == fix.c.day,
                ),
                and_(
                    fix.c.scope == "month",
                    clock.month_sql(Slot.starts_at, win, dialect) == fix.c.month,
                ),
            ),
        )
    )
    correction_keys = {
        "trainee_id": fix.c.trainee_id,
        "composante_id": fix.c.composante_id,
        "hour_class": fix.c.hour_class,
        "month": fix.c.month,
    }
    corrected = select(
        *[correction_keys[key].label(key) for key in sql_keys],
        func.sum(fix.c.minutes).label("minutes"),
        func.sum(fix.c.minutes).label("corrected"),
        func.count().label("corrections"),
    ).select_from(fix)

    if sql_keys:
        signed = signed.group_by(*[slot_keys[key] for key in sql_keys])
        replaced = replaced.group_by(*[slot_keys[key] for key in sql_keys])
        corrected = corrected.group_by(*[correction_keys[key] for key in sql_keys])
    # The month's sign-ins are aggregated once; the corrections' adjustments (a few rows) are
    # aggregated apart and joined on the keys, so the big result is never grouped twice.
    adjustments = union_all(replaced, corrected).subquery("adjustment_parts")
    adjusted = select(
        *[adjustments.c[key] for key in sql_keys],
        func.sum(adjustments.c.minutes).label("minutes"),
        func.sum(adjustments.c.corrected).label("corrected"),
        func.sum(adjustments.c.corrections).label("corrections"),
    )
    if sql_keys:
        adjusted = adjusted.group_by(*[adjustments.c[key] for key in sql_keys])
    base, fixes = signed.subquery("signed"), adjusted.subquery("adjusted")
    on = and_(true(), *[base.c[key] == fixes.c[key] for key in sql_keys])

    def key_column(key):
        if key in sql_keys:
            return func.coalesce(base.c[key], fixes.c[key])
        if key == "month" and "month" in keys:
            return literal(win.first_month, Date)
        return null()

    def both(name: str):
        return cast(func.coalesce(base.c[name], 0) + func.coalesce(fixes.c[name], 0), Integer)

    key_columns = [key_column(key) for key in GROUP_KEYS]
    # Columns in HoursRow's order, so each record becomes a row without a Python loop body.
    statement = select(
        both("minutes"), both("corrected"), both("corrections"), *key_columns
    ).select_from(base.join(fixes, on, full=True))
    if sql_keys:
        statement = statement.order_by(*[key_column(key) for key in sql_keys])
    return list(map(HoursRow._make, session.connection().execute(statement)))


def day_minutes(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    timezone: str | None = None,
) -> dict[tuple[int, int], dict[str, int]]:
    """Realised minutes of one month of a BDC per (trainee, composante), then per local day
    (``"YYYY-MM-DD"``): the declaration's day-by-day grid. R12: a validated day correction
    replaces its day's minutes of its class; a month correction replaces the month's minutes
    of its class and is reported under the key ``"month"``. Scoped to ``org`` by its query."""
    win = clock.window(month, None, timezone)
    dialect = dialect_of(session)
    day = clock.day_sql(Slot.starts_at, win, dialect)
    composantes = select(Composante.id).where(
        Composante.organisation_id == org.id, Composante.purchase_order_id == purchase_order_id
    )
    rows = session.execute(
        select(
            Emargement.trainee_id, Slot.composante_id, Slot.kind, day, realised_minutes_sql(dialect)
        )
        .join(Slot, Slot.id == Emargement.slot_id)
        .where(
            Emargement.organisation_id == org.id,
            Slot.organisation_id == org.id,
            Slot.composante_id.in_(composantes),
            win.holds(Slot.starts_at),
        )
        .group_by(Emargement.trainee_id, Slot.composante_id, Slot.kind, day)
    )
    cells: dict[tuple, int] = {}
    for trainee_id, composante_id, kind, local, minutes in rows:
        cells[(trainee_id, composante_id, kind, str(local)[:10])] = int(minutes or 0)
    fixes = effective_corrections(org, composantes, win, dialect, None)
    columns = ("trainee_id", "composante_id", "hour_class", "scope", "day", "minutes")
    for fix in session.execute(select(*[fixes.c[name] for name in columns])).mappings():
        key = (fix["trainee_id"], fix["composante_id"], fix["hour_class"])
        if fix["scope"] == "day":
            cells[(*key, fix["day"].isoformat())] = int(fix["minutes"])
        else:
            for cell in [c for c in cells if c[:3] == key]:
                del cells[cell]
            cells[(*key, "month")] = int(fix["minutes"])
    grid: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (trainee_id, composante_id, _, when), minutes in cells.items():
        grid[(trainee_id, composante_id)][when] += minutes
    return grid


def effective_corrections(org, composantes, win: clock.Window, dialect: str, trainee_id):
    """Validated corrections that apply in the window, one per (trainee, composante, class,
    scope, day), the latest; a month correction hides the day corrections of its month."""
    latest = (
        select(func.max(Correction.id))
        .where(
            Correction.organisation_id == org.id,
            Correction.validated.is_(True),
            Correction.composante_id.in_(composantes),
            Correction.day >= win.first_month,
            Correction.day < win.end_date,
        )
        .group_by(
            Correction.trainee_id,
            Correction.composante_id,
            Correction.hour_class,
            Correction.scope,
            Correction.day,
        )
    )
    if trainee_id is not None:
        latest = latest.where(Correction.trainee_id == trainee_id)
    month_fix = aliased(Correction)
    superseded = exists().where(
        month_fix.organisation_id == org.id,
        month_fix.validated.is_(True),
        month_fix.scope == "month",
        month_fix.trainee_id == Correction.trainee_id,
        month_fix.composante_id == Correction.composante_id,
        month_fix.hour_class == Correction.hour_class,
        clock.month_of_date(month_fix.day, dialect) == clock.month_of_date(Correction.day, dialect),
    )
    return (
        select(
            Correction.id,
            Correction.trainee_id,
            Correction.composante_id,
            Correction.hour_class,
            Correction.scope,
            Correction.day,
            clock.month_of_date(Correction.day, dialect).label("month"),
            Correction.minutes,
        )
        .where(
            Correction.id.in_(latest),
            or_(Correction.scope == "month", ~superseded),
        )
        .cte("effective_corrections")
        .prefix_with("MATERIALIZED")
    )


def trainee_month_hours(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    timezone: str | None = None,
) -> list[HoursRow]:
    """One month of a BDC, per trainee, composante and class: what the monthly declaration
    (issue 5) declares and what billing (issue 6) prices, before caps."""
    return realised_hours(
        session,
        org,
        purchase_order_id,
        month,
        by=("trainee_id", "composante_id", "hour_class"),
        timezone=timezone,
    )


def hours_to_date(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    through_month: date,
    *,
    by: Sequence[str] = ("trainee_id", "composante_id", "hour_class"),
    trainee_id: int | None = None,
    timezone: str | None = None,
) -> list[HoursRow]:
    """Cumulative realised minutes from the BDC's first month through ``through_month``:
    what R1, R2, R3 and R10 compare with their limits, and what a certificate states."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    first = min(clock.first_of_month(order.planned_start), clock.first_of_month(through_month))
    return realised_hours(
        session,
        org,
        purchase_order_id,
        first,
        through_month,
        by=by,
        trainee_id=trainee_id,
        timezone=timezone,
    )
