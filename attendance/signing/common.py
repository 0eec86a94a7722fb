"""What the sign-in operations share: request context, slot checks, the logged write."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Date, bindparam, cast, exists, func, insert, inspect, select, true
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from attendance import evidence
from attendance.clock import local_day, local_time
from attendance.errors import Conflict, DomainError
from attendance.models import Composante, Emargement, MonthPeriod, Pathway, Slot, Trainee, User
from attendance.models.types import utcnow
from attendance.months.lock import ensure_open, month_validated
from attendance.security.ratelimit import attempts_counted_with
from attendance.sql import sqlite_writer


@dataclass
class Client:
    """Who is at the other end of a request: kept as evidence with each sign-in."""

    ip: str | None = None
    user_agent: str | None = None
    now: datetime = field(default_factory=utcnow)

    def evidence(self) -> dict:
        return {"ip": self.ip, "user_agent": (self.user_agent or "")[:500]}


def half_day(slot: Slot) -> str:
    local = local_time(slot.starts_at)
    return "matin" if local.hour < 12 else "après-midi"


def late_minutes(slot: Slot, signed_at: datetime) -> int:
    """Minutes after the slot's start; signing within the grace (default 5 min) is on time."""
    grace = int(current_app.config.get("SIGNIN_LATE_GRACE_MINUTES", 5))
    late = int((signed_at - slot.starts_at).total_seconds() // 60)
    if late <= grace:
        return 0
    return min(late, int((slot.ends_at - slot.starts_at).total_seconds() // 60))


def refuse_if_validated(slot: Slot) -> None:
    """``slot``: a Slot or a row with its ``id`` and ``validated_at``."""
    if slot.validated_at is not None:
        raise slot_validated(slot.id)


def slot_validated(slot_id: int) -> Conflict:
    return Conflict(
        "SLOT_VALIDATED",
        "Cette séance a été validée par le formateur : l'émargement est clos. "
        "Une modification passe désormais par une correction motivée.",
        {"slot_id": slot_id},
    )


def _on_pathway(composante, organisation, day) -> tuple:
    """Who is expected on a group slot: a pathway on the slot's composante that has started
    and has not ended before the slot's day (values, or bind parameters)."""
    return (
        Pathway.composante_id == composante,
        Pathway.organisation_id == organisation,
        Pathway.entry_date <= day,
        (Pathway.effective_exit_date.is_(None)) | (Pathway.effective_exit_date >= day),
    )


def _expected_statement(slot: Slot):
    """Trainees expected on a group slot (``_on_pathway``)."""
    return (
        select(Trainee)
        .join(Pathway, Pathway.trainee_id == Trainee.id)
        .where(*_on_pathway(slot.composante_id, slot.organisation_id, local_day(slot.starts_at)))
    )


def expected_trainees(session: Session, slot: Slot) -> list[Trainee]:
    """Who should sign: the company trainee, or the group's trainees."""
    if slot.trainee_id is not None:
        return [session.get(Trainee, slot.trainee_id)]
    statement = _expected_statement(slot).order_by(
        Trainee.last_name, Trainee.first_name, Trainee.id
    )
    return list(session.scalars(statement).unique())


def is_expected(session: Session, slot: Slot, trainee: Trainee | int) -> bool:
    """One indexed lookup (called on every sign-in), not the whole group."""
    trainee_id = trainee if isinstance(trainee, int) else trainee.id
    if slot.trainee_id is not None:
        return slot.trainee_id == trainee_id
    found = session.scalar(
        _expected_statement(slot).with_only_columns(Trainee.id).where(Trainee.id == trainee_id)
    )
    return found is not None


def require_enrolled(session: Session, slot: Slot, trainee: Trainee | int) -> None:
    """``trainee`` may be its id: the names are loaded only for the refusal's message."""
    if not is_expected(session, slot, trainee):
        if isinstance(trainee, int):
            trainee = session.get(Trainee, trainee)
        raise DomainError(
            "NOT_ENROLLED",
            f"{trainee.first_name} {trainee.last_name} n'est pas inscrit(e) à cette séance : "
            "vérifiez le QR code scanné ou voyez avec le formateur.",
            {"slot_id": slot.id, "trainee_id": trainee.id},
            status=403,
        )


# Built once: every phone sign-in runs it. Parameters: trainee, slot, composante, org, day.
_ENROLMENT_AND_RECORD = select(
    exists().where(
        Pathway.trainee_id == bindparam("trainee"),
        *_on_pathway(bindparam("composante"), bindparam("org"), bindparam("day")),
    ),
    select(Emargement.id)
    .where(Emargement.slot_id == bindparam("slot"), Emargement.trainee_id == bindparam("trainee"))
    .scalar_subquery(),
)


def enrolment_columns(trainee) -> tuple:
    """PostgreSQL: ``enrolment_and_record``'s two answers as columns (``on_pathway``,
    ``record_id``) of a statement that reads ``Slot``, for the trainee column ``trainee``,
    so a sign-in reads them with its slot. Needs the ``tz`` parameter (``TIMEZONE``);
    SQLite cannot tell a local day, so it runs the separate statement."""
    day = cast(func.timezone(bindparam("tz"), Slot.starts_at), Date)
    return (
        exists()
        .where(
            Pathway.trainee_id == trainee,
            *_on_pathway(Slot.composante_id, Slot.organisation_id, day),
        )
        .label("on_pathway"),
        select(Emargement.id)
        .where(Emargement.slot_id == Slot.id, Emargement.trainee_id == trainee)
        .scalar_subquery()
        .label("record_id"),
    )


def enrolment_and_record(session: Session, slot, trainee_id: int) -> tuple[bool, int | None]:
    """In one statement: is the trainee expected on the slot (``_on_pathway``), and the id
    of their record for it if they already have one. ``slot`` is a Slot or a row with its
    columns; a row that carries ``enrolment_columns`` answers without a statement."""
    if "on_pathway" in getattr(slot, "_fields", ()):
        expected, record = slot.on_pathway, slot.record_id
    else:
        expected, record = (
            session.connection()
            .execute(
                _ENROLMENT_AND_RECORD,
                {
                    "trainee": trainee_id,
                    "slot": slot.id,
                    "composante": slot.composante_id,
                    "org": slot.organisation_id,
                    "day": local_day(slot.starts_at),
                },
            )
            .one()
        )
    if slot.trainee_id is not None:
        expected = slot.trainee_id == trainee_id
    return bool(expected), record


def already_signed(existing: Emargement) -> Conflict:
    when = existing.signed_at or existing.created_at
    local = local_time(when)
    message = f"Déjà signé : votre émargement de {local:%H:%M} est enregistré pour cette séance."
    if existing.status == "absent":
        message = (
            "Vous êtes déjà noté(e) absent(e) pour cette séance : voyez le formateur, "
            "lui seul peut corriger."
        )
    return Conflict(
        "ALREADY_SIGNED",
        message,
        {"emargement_id": existing.id, "signed_at": when.isoformat()},
    )


def find_emargement(session: Session, slot_id: int, trainee_id: int) -> Emargement | None:
    return session.scalar(
        select(Emargement).where(Emargement.slot_id == slot_id, Emargement.trainee_id == trainee_id)
    )


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
_SLOT_STATE = (
    select(Slot.validated_at, Slot.starts_at, Composante.purchase_order_id, _MONTH_STATE)
    .join(Composante, Composante.id == Slot.composante_id)
    .where(Slot.id == bindparam("slot"))
)


def _check_slot_under_lock(
    session: Session, organisation_id: int, slot_id: int, check_validated: bool, month: date | None
) -> None:
    """Re-read, under the chain lock and in one statement, the slot's validation and the
    state of the month it starts in (``month``: the caller's guess, from the slot it read
    earlier)."""
    state = (
        session.connection()
        .execute(_SLOT_STATE, {"slot": slot_id, "org": organisation_id, "month": month})
        .one()
    )
    _judge_slot_state(session, organisation_id, slot_id, check_validated, month, state)


def _judge_slot_state(
    session: Session, organisation_id: int, slot_id: int, check_validated: bool, month, state
) -> None:
    """Refuse a validated slot (unless ``check_validated`` is off) or month (R11). R11 is
    checked for the month the slot starts in now, so a slot moved meanwhile is checked
    against its new month."""
    if check_validated and state.validated_at is not None:
        raise slot_validated(slot_id)
    actual = local_day(state.starts_at).replace(day=1)
    if actual != month:
        ensure_open(session, organisation_id, state.purchase_order_id, [actual])
    elif state.month_state == "validated":
        raise month_validated(actual, state.purchase_order_id)


_INSERTS = {}  # table -> INSERT … RETURNING id, built once
_LOCK_INSERT_CHECK = {}  # (table, columns) -> the PostgreSQL statement below, built once


def _insert_returning_id(table):
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table).returning(table.c.id)
    return statement


def _lock_insert_check(table, columns: tuple[str, ...]):
    """PostgreSQL, one statement: lock the slot's chain, then (it needs the head) insert
    the new row, then read the slot FOR SHARE and its month's state FOR SHARE. A locking
    read sees the slot as last committed even though the statement's snapshot is older than
    the wait for the chain, so a validation that held the chain is seen. No row, and
    nothing inserted, when the chain has no head yet (the slot's first entry)."""
    key = table, columns
    statement = _LOCK_INSERT_CHECK.get(key)
    if statement is None:
        head = evidence.head_cte()
        values = select(
            *(bindparam(f"r_{name}", type_=table.c[name].type) for name in columns)
        ).select_from(head)
        new = insert(table).from_select(columns, values).returning(table.c.id).cte("new_row")
        statement = _LOCK_INSERT_CHECK[key] = (
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


def _lock_and_check(
    session: Session,
    organisation_id: int,
    slot_id: int | None,
    check_validated: bool,
    month: date | None,
    new_row: tuple | None,
) -> int | None:
    """Lock the chain, re-check the slot, insert ``new_row`` (if any); returns its id.

    The row goes in only once the chain is held: a validation holding the chain inserts the
    absent trainees' rows, and one of them meeting a sign-in's uncommitted row on the
    unique (slot, trainee) index would deadlock with it."""
    connection = session.connection()
    if new_row is not None and slot_id is not None and connection.dialect.name == "postgresql":
        table, values = new_row
        chain = evidence.slot_chain(slot_id)
        parameters = {f"r_{name}": value for name, value in values.items()}
        parameters |= {"head_org": organisation_id, "head_chain": chain}
        parameters |= {"slot": slot_id, "org": organisation_id, "month": month}
        statement = _lock_insert_check(table, tuple(values))
        state = connection.execute(statement, parameters).one_or_none()
        if state is not None:
            evidence.held(session, organisation_id, chain, state.seq, state.last_hash)
            _judge_slot_state(session, organisation_id, slot_id, check_validated, month, state)
            return state.id
        # Nothing inserted (the slot's first entry opens its chain): one step at a time.
    if slot_id is None:
        evidence.lock_chain(session, organisation_id)
    else:
        evidence.lock_chain(session, organisation_id, evidence.slot_chain(slot_id))
        _check_slot_under_lock(session, organisation_id, slot_id, check_validated, month)
    if new_row is None:
        return None
    table, values = new_row
    return connection.execute(_insert_returning_id(table), values).scalar_one()


def _close_reads(session: Session) -> None:
    """Before a logged write: on SQLite end the read transaction, so the write lock is taken
    before any read (a stale snapshot cannot be upgraded). On PostgreSQL the write can share
    the read transaction (saving its BEGIN and COMMIT); objects read before are expired, so
    the write sees them as they are under the lock. Pending changes are committed first."""
    pending = session.new or session.dirty or session.deleted
    if pending or session.get_bind().dialect.name == "sqlite":
        session.commit()
    else:
        session.expire_all()


def logged_write(
    session: Session,
    organisation_id: int,
    slot_id: int | None,
    write: Callable[..., object],
    *,
    check_validated: bool = True,
    month: date | None = None,
    new_row: tuple | None = None,
):
    """Run ``write`` in a transaction holding the evidence chain lock (the slot's chain, or
    the organisation's when ``slot_id`` is None), then commit. On SQLite the write lock is
    taken before any read, so concurrent phones queue instead of failing. The slot's
    validation (unless a correction after it) and its month's lock (R11, always) are
    re-checked under the lock; ``month`` is the first day of the month the caller believes
    the slot is in.

    ``new_row`` is ``(table, values)``: a row inserted under the lock, once the slot is
    re-checked, whose id ``write`` receives. On PostgreSQL the lock, the row and the
    re-check are one statement, so a room signing at once holds its slot's chain for two
    round trips (that statement and the entry's) and the commit. A row ``write`` returns
    stays loaded after the commit (it holds what was just written), so answering with it
    does not read it back."""
    _close_reads(session)
    with sqlite_writer(session):
        try:
            with attempts_counted_with(session):
                new_id = _lock_and_check(
                    session, organisation_id, slot_id, check_validated, month, new_row
                )
                result = write(new_id) if new_row is not None else write()
                loaded = _loaded_columns(result)
                session.commit()
        except BaseException:
            session.rollback()
            raise
    if loaded:
        for key, value in loaded.items():
            set_committed_value(result, key, value)
    return result


def _loaded_columns(instance) -> dict | None:
    try:
        state = inspect(instance)
    except NoInspectionAvailable:
        return None
    if not getattr(state, "mapper", None):
        return None
    return {
        attr.key: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in state.dict
    }


def record_signin(
    session: Session,
    slot,
    trainee_id: int,
    values: dict,
    log_extra: dict | None = None,
    existing_id: int | None = -1,
) -> Emargement:
    """Store one sign-in and its evidence entry; « déjà signé » when one exists or races in.
    ``slot``: a Slot or a row with its columns. ``existing_id``: the caller already looked
    the (slot, trainee) record up (None: none). Returns the record as written, detached
    (the insert goes straight to the table: this runs on every sign-in)."""
    if existing_id == -1:
        existing = find_emargement(session, slot.id, trainee_id)
    else:
        existing = session.get(Emargement, existing_id) if existing_id is not None else None
    if existing is not None:
        raise already_signed(existing)
    org_id, slot_id = slot.organisation_id, slot.id
    chain = evidence.slot_chain(slot_id)
    row = {
        "organisation_id": org_id,
        "slot_id": slot_id,
        "trainee_id": trainee_id,
        "status": "present",
        "late_minutes": 0,
        "early_leave_minutes": 0,
        "confirmed": True,
        "signature_png": None,
        "token_jti": None,
        "ip_address": None,
        "user_agent": None,
        "device_id": None,
        "evidence": {},
        "absence_reason": None,
        "created_at": utcnow(),
        **values,
    }

    def write(new_id: int) -> Emargement:
        emargement = Emargement(id=new_id, **row)
        payload = {
            "emargement_id": new_id,
            "slot_id": slot_id,
            "trainee_id": trainee_id,
            "method": row["method"],
            "record_sha256": evidence.record_digest(emargement),
            "ip": row["ip_address"],
            **(log_extra or {}),
        }
        evidence.append(session, org_id, "signin", payload, at=row["signed_at"], chain=chain)
        return emargement

    try:
        emargement = logged_write(
            session,
            org_id,
            slot_id,
            write,
            month=local_day(slot.starts_at).replace(day=1),
            new_row=(Emargement.__table__, row),
        )
    except IntegrityError:
        existing = find_emargement(session, slot_id, trainee_id)
        if existing is None:
            raise
        raise already_signed(existing) from None
    make_transient_to_detached(emargement)
    return emargement


def can_run_slot(user: User, slot: Slot) -> bool:
    """The slot's trainer, or an administrator, runs its roster."""
    return user.role == "admin" or (user.role == "trainer" and slot.trainer_id == user.id)
