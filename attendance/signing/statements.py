"""The sign-in's prebuilt statements and the typed rows they answer with.

A whole room signs at once, so the phone sign-in reads and writes through statements built
once (SQLAlchemy Core), rendered once per database and run on the driver's cursor
(``sql.Prepared``) instead of loading ORM objects. Everything these statements return is
one of the frozen rows below, so the rest of ``signing`` sees one type per thing.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Date, bindparam, cast, exists, func, insert, select, true
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.clock import local_day
from attendance.models import (
    Composante,
    Device,
    Emargement,
    MonthPeriod,
    Pathway,
    RateLimitCounter,
    Slot,
)
from attendance.models.trainee import on_pathway
from attendance.sql import Prepared


@dataclass(frozen=True, slots=True)
class SlotContext:
    """What a sign-in needs of its slot: read with the phone, or taken from a loaded Slot."""

    id: int
    organisation_id: int
    composante_id: int
    trainee_id: int | None  # the company trainee of a company slot, else None
    starts_at: datetime
    ends_at: datetime
    validated_at: datetime | None
    kind: str  # centre, distance, autoformation, company: decides its sign-in window

    @classmethod
    def of(cls, slot: Slot) -> "SlotContext":
        return cls(
            slot.id,
            slot.organisation_id,
            slot.composante_id,
            slot.trainee_id,
            slot.starts_at,
            slot.ends_at,
            slot.validated_at,
            slot.kind,
        )


@dataclass(frozen=True, slots=True)
class Phone:
    """A bound phone as the sign-in checks it (``devices.check_bound``)."""

    public_id: str
    phone_id: str | None
    organisation_id: int
    trainee_id: int
    revoked_at: datetime | None

    @classmethod
    def of(cls, device: Device) -> "Phone":
        return cls(
            device.public_id,
            device.phone_id,
            device.organisation_id,
            device.trainee_id,
            device.revoked_at,
        )


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Whether a trainee is expected on a slot by their pathway (``on_pathway``), and the id
    of their record for it if they already have one."""

    on_pathway: bool
    emargement_id: int | None


@dataclass(frozen=True, slots=True)
class PhoneContext:
    """A phone sign-in's slot and phone (None: no phone has the credential's id), read in
    one statement; on PostgreSQL it also holds the phone's trainee's enrolment."""

    slot: SlotContext
    phone: Phone | None
    enrolment: Enrolment | None
    quota_hits: tuple = ()  # the current hits of the counters asked for (None: no hit yet)


@dataclass(frozen=True, slots=True)
class SignedRow:
    """A sign-in's record as ``record_signin`` wrote it: the columns of ``Emargement``,
    with no ORM object behind them. The row goes in by a prebuilt statement, so nothing
    needs an instance; building one and detaching it was ~5 % of each sign-in's CPU."""

    id: int
    organisation_id: int
    slot_id: int
    trainee_id: int
    status: str
    signed_at: datetime | None
    method: str
    late_minutes: int
    early_leave_minutes: int
    confirmed: bool
    signature_png: bytes | None
    token_jti: str | None
    ip_address: str | None
    user_agent: str | None
    device_id: str | None
    evidence: dict
    absence_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SlotState:
    """The slot as re-read under the chain lock, with the state of the month it started in
    as the caller believed (``month_state``, None when that month has no period)."""

    validated_at: datetime | None
    starts_at: datetime
    purchase_order_id: int
    month_state: str | None


@dataclass(frozen=True, slots=True)
class LockedInsert:
    """PostgreSQL's one-statement lock, insert and re-check: the new row's id, the chain's
    head, and the slot's state."""

    id: int
    seq: int
    last_hash: str
    state: SlotState


# Parameters: trainee, slot, composante, org, day.
_ENROLMENT = Prepared(
    select(
        exists().where(
            Pathway.trainee_id == bindparam("trainee"),
            *on_pathway(bindparam("composante"), bindparam("org"), bindparam("day")),
        ),
        select(Emargement.id)
        .where(
            Emargement.slot_id == bindparam("slot"), Emargement.trainee_id == bindparam("trainee")
        )
        .scalar_subquery(),
    )
)


def read_enrolment(session: Session, slot: SlotContext, trainee_id: int) -> Enrolment:
    """The trainee's pathway enrolment on the slot and their record, in one statement."""
    found, emargement_id = _ENROLMENT.first(
        session,
        {
            "trainee": trainee_id,
            "slot": slot.id,
            "composante": slot.composante_id,
            "org": slot.organisation_id,
            "day": local_day(slot.starts_at),
        },
    )
    return Enrolment(bool(found), emargement_id)


def _enrolment_columns(trainee) -> tuple:
    """PostgreSQL: ``_ENROLMENT``'s two answers as columns of a statement that reads
    ``Slot``, for the trainee column ``trainee``. Needs the ``tz`` parameter; SQLite cannot
    tell a local day, so it runs ``_ENROLMENT`` apart."""
    day = cast(func.timezone(bindparam("tz"), Slot.starts_at), Date)
    return (
        exists()
        .where(
            Pathway.trainee_id == trainee,
            *on_pathway(Slot.composante_id, Slot.organisation_id, day),
        )
        .label("on_pathway"),
        select(Emargement.id)
        .where(Emargement.slot_id == Slot.id, Emargement.trainee_id == trainee)
        .scalar_subquery()
        .label("record_id"),
    )


_PHONE_CONTEXT = (
    select(
        Slot.id,
        Slot.organisation_id,
        Slot.composante_id,
        Slot.trainee_id,
        Slot.starts_at,
        Slot.ends_at,
        Slot.validated_at,
        Slot.kind,
        Device.organisation_id.label("device_organisation_id"),
        Device.trainee_id.label("device_trainee_id"),
        Device.phone_id,
        Device.revoked_at,
    )
    .select_from(Slot)
    .outerjoin(Device, Device.public_id == bindparam("device"))
    .where(Slot.id == bindparam("slot"))
)
_PHONE_CONTEXTS = {}  # (PostgreSQL?, number of counters) -> the statement, built once


def _counter_columns(n: int) -> list:
    """The current window's hits of ``n`` rate-limit counters (``q0``/``qw0``…), as columns."""
    counters = RateLimitCounter.__table__
    return [
        select(counters.c.hits)
        .where(counters.c.key == bindparam(f"q{i}"), counters.c.window == bindparam(f"qw{i}"))
        .scalar_subquery()
        .label(f"quota_{i}")
        for i in range(n)
    ]


def _phone_context(postgresql: bool, counters: int) -> Prepared:
    statement = _PHONE_CONTEXTS.get((postgresql, counters))
    if statement is None:
        columns = list(_enrolment_columns(Device.trainee_id)) if postgresql else []
        statement = _PHONE_CONTEXTS[postgresql, counters] = Prepared(
            _PHONE_CONTEXT.add_columns(*columns, *_counter_columns(counters))
        )
    return statement


def read_phone_context(
    session: Session,
    slot_id: int | None,
    device_public_id: str | None,
    quota: list[tuple[str, str, int]] | None = None,
) -> PhoneContext | None:
    """The slot and the phone in one statement (a whole room sends these at once); on
    PostgreSQL also the phone's trainee's enrolment; and the hits of the rate-limit
    counters ``quota`` asks for ((limit, key, window) each, ``ratelimit.quota_to_check``).
    None when there is no such slot."""
    parameters = {"slot": slot_id, "device": device_public_id}
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        parameters["tz"] = current_app.config["TIMEZONE"]
    for i, (_name, key, window) in enumerate(quota or ()):
        parameters[f"q{i}"], parameters[f"qw{i}"] = key, window
    row = _phone_context(postgresql, len(quota or ())).first(session, parameters)
    if row is None:
        return None
    slot = SlotContext(*row[:8])
    phone = None
    device_organisation_id, device_trainee_id, phone_id, revoked_at = row[8:12]
    if device_trainee_id is not None:
        phone = Phone(
            device_public_id, phone_id, device_organisation_id, device_trainee_id, revoked_at
        )
    enrolment = Enrolment(bool(row[12]), row[13]) if postgresql else None
    return PhoneContext(slot, phone, enrolment, tuple(row[14 if postgresql else 12 :]))


_MONTH_STATE = (
    select(MonthPeriod.state)
    .where(
        MonthPeriod.organisation_id == bindparam("org"),
        MonthPeriod.purchase_order_id == Composante.purchase_order_id,
        MonthPeriod.month == bindparam("month"),
    )
    .with_for_update(read=True)  # waits for a month validation in progress (months.lock)
    .scalar_subquery()
    .label("month_state")
)
_SLOT_STATE = Prepared(
    select(Slot.validated_at, Slot.starts_at, Composante.purchase_order_id, _MONTH_STATE)
    .join(Composante, Composante.id == Slot.composante_id)
    .where(Slot.id == bindparam("slot"))
)


def read_slot_state(
    session: Session, organisation_id: int, slot_id: int, month: date | None
) -> SlotState:
    """The slot's validation and its month's state, in one statement (under the chain
    lock)."""
    row = _SLOT_STATE.first(session, {"slot": slot_id, "org": organisation_id, "month": month})
    return SlotState(*row)


_INSERTS = {}  # (table, columns) -> INSERT … RETURNING id, built once
_LOCK_INSERT_CHECK = {}  # (table, columns) -> the statement of ``lock_insert_check``


def insert_returning_id(session: Session, table, values: dict) -> int:
    key = table, tuple(values)
    statement = _INSERTS.get(key)
    if statement is None:
        statement = _INSERTS[key] = Prepared(insert(table).returning(table.c.id), values)
    return statement.first(session, values)[0]


def _lock_insert_check_statement(table, columns: tuple[str, ...]):
    key = table, columns
    statement = _LOCK_INSERT_CHECK.get(key)
    if statement is None:
        head = evidence.head_cte()
        values = select(
            *(bindparam(f"r_{name}", type_=table.c[name].type) for name in columns)
        ).select_from(head)
        new = insert(table).from_select(columns, values).returning(table.c.id).cte("new_row")
        statement = _LOCK_INSERT_CHECK[key] = Prepared(
            select(
                new.c.id,
                head.c.seq,
                head.c.last_hash,
                Slot.validated_at,
                Slot.starts_at,
                Composante.purchase_order_id,
                _MONTH_STATE,
            )
            .select_from(head)
            .join(new, true())
            .join(Slot, Slot.id == bindparam("slot"))
            .join(Composante, Composante.id == Slot.composante_id)
            .with_for_update(read=True, of=Slot)
        )
    return statement


def lock_insert_check(
    session: Session,
    organisation_id: int,
    slot_id: int,
    chain: str,
    month: date | None,
    table,
    values: dict,
) -> LockedInsert | None:
    """PostgreSQL, one statement: lock the slot's chain, then (it needs the head) insert
    the new row, then read the slot FOR SHARE and its month's state FOR SHARE. A locking
    read sees the slot as last committed even though the statement's snapshot is older than
    the wait for the chain, so a validation that held the chain is seen. None, and nothing
    inserted, when the chain has no head yet (the slot's first entry)."""
    parameters = {f"r_{name}": value for name, value in values.items()}
    parameters |= {"head_org": organisation_id, "head_chain": chain}
    parameters |= {"slot": slot_id, "org": organisation_id, "month": month}
    statement = _lock_insert_check_statement(table, tuple(values))
    row = statement.first(session, parameters)
    if row is None:
        return None
    return LockedInsert(row[0], row[1], row[2], SlotState(*row[3:]))
