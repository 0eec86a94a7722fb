"""What the sign-in operations share: request context, slot checks, the logged write."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from attendance import clock, evidence
from attendance.clock import local_day, local_time
from attendance.errors import Conflict, DomainError
from attendance.models import Emargement, Pathway, Slot, Trainee, User
from attendance.models.types import utcnow
from attendance.months.lock import ensure_open, month_validated
from attendance.security.ratelimit import attempts_counted_with
from attendance.signing.statements import (
    Enrolment,
    SignedRow,
    SlotContext,
    SlotState,
    insert_returning_id,
    lock_insert_check,
    on_pathway,
    read_enrolment,
    read_slot_state,
)
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
    return clock.half_day(slot.starts_at)


def late_minutes(slot: SlotContext, signed_at: datetime) -> int:
    """Minutes after the slot's start; signing within the grace (default 5 min) is on time."""
    grace = int(current_app.config.get("SIGNIN_LATE_GRACE_MINUTES", 5))
    late = int((signed_at - slot.starts_at).total_seconds() // 60)
    if late <= grace:
        return 0
    return min(late, int((slot.ends_at - slot.starts_at).total_seconds() // 60))


def refuse_if_validated(slot_id: int, validated_at: datetime | None) -> None:
    if validated_at is not None:
        raise slot_validated(slot_id)


def slot_validated(slot_id: int) -> Conflict:
    return Conflict(
        "SLOT_VALIDATED",
        "Cette séance a été validée par le formateur : l'émargement est clos. "
        "Une modification passe désormais par une correction motivée.",
        {"slot_id": slot_id},
    )


def _expected_statement(slot: SlotContext):
    """Trainees expected on a group slot (``statements.on_pathway``)."""
    return (
        select(Trainee)
        .join(Pathway, Pathway.trainee_id == Trainee.id)
        .where(*on_pathway(slot.composante_id, slot.organisation_id, local_day(slot.starts_at)))
    )


def expected_trainees(session: Session, slot: Slot) -> list[Trainee]:
    """Who should sign: the company trainee, or the group's trainees."""
    if slot.trainee_id is not None:
        return [session.get(Trainee, slot.trainee_id)]
    statement = _expected_statement(SlotContext.of(slot)).order_by(
        Trainee.last_name, Trainee.first_name, Trainee.id
    )
    return list(session.scalars(statement).unique())


def is_expected(session: Session, slot: SlotContext, trainee_id: int) -> bool:
    """One indexed lookup (called on every sign-in), not the whole group."""
    if slot.trainee_id is not None:
        return slot.trainee_id == trainee_id
    found = session.scalar(
        _expected_statement(slot).with_only_columns(Trainee.id).where(Trainee.id == trainee_id)
    )
    return found is not None


def _not_enrolled(session: Session, slot_id: int, trainee_id: int) -> DomainError:
    """The trainee's names are loaded only for the refusal's message."""
    trainee = session.get(Trainee, trainee_id)
    return DomainError(
        "NOT_ENROLLED",
        f"{trainee.first_name} {trainee.last_name} n'est pas inscrit(e) à cette séance : "
        "vérifiez le QR code scanné ou voyez avec le formateur.",
        {"slot_id": slot_id, "trainee_id": trainee_id},
        status=403,
    )


def require_enrolled(session: Session, slot: SlotContext, trainee_id: int) -> None:
    if not is_expected(session, slot, trainee_id):
        raise _not_enrolled(session, slot.id, trainee_id)


def enrolment_of(
    session: Session, slot: SlotContext, trainee_id: int, read: Enrolment | None = None
) -> Enrolment:
    """Refuse a trainee not expected on the slot; returns their enrolment, with the id of
    their record if they have one. ``read``: the enrolment already read with the slot
    (PostgreSQL); otherwise one statement reads it. A company slot expects its own trainee
    only, whatever the pathways say."""
    enrolment = read or read_enrolment(session, slot, trainee_id)
    expected = enrolment.on_pathway
    if slot.trainee_id is not None:
        expected = slot.trainee_id == trainee_id
    if not expected:
        raise _not_enrolled(session, slot.id, trainee_id)
    return enrolment


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


def _judge_slot_state(
    session: Session,
    organisation_id: int,
    slot_id: int,
    check_validated: bool,
    month: date | None,
    state: SlotState,
) -> None:
    """Refuse a validated slot (unless ``check_validated`` is off) or month (R11). R11 is
    checked for the month the slot starts in now, so a slot moved meanwhile is checked
    against its new month (``month``: the caller's guess, from the slot it read earlier)."""
    if check_validated and state.validated_at is not None:
        raise slot_validated(slot_id)
    actual = local_day(state.starts_at).replace(day=1)
    if actual != month:
        ensure_open(session, organisation_id, state.purchase_order_id, [actual])
    elif state.month_state == "validated":
        raise month_validated(actual, state.purchase_order_id)


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
    postgresql = session.get_bind().dialect.name == "postgresql"
    if new_row is not None and slot_id is not None and postgresql:
        table, values = new_row
        chain = evidence.slot_chain(slot_id)
        locked = lock_insert_check(session, organisation_id, slot_id, chain, month, table, values)
        if locked is not None:
            evidence.held(session, organisation_id, chain, locked.seq, locked.last_hash)
            _judge_slot_state(
                session, organisation_id, slot_id, check_validated, month, locked.state
            )
            return locked.id
        # Nothing inserted (the slot's first entry opens its chain): one step at a time.
    if slot_id is None:
        evidence.lock_chain(session, organisation_id)
    else:
        evidence.lock_chain(session, organisation_id, evidence.slot_chain(slot_id))
        state = read_slot_state(session, organisation_id, slot_id, month)
        _judge_slot_state(session, organisation_id, slot_id, check_validated, month, state)
    if new_row is None:
        return None
    table, values = new_row
    return insert_returning_id(session, table, values)


def _commit_logged_write(session: Session) -> None:
    """The only commits signing makes itself, both part of a logged write: the one that ends
    the reads before it (``_close_reads``), and the write's own, made while it still holds
    the SQLite writer gate (``sqlite_writer``) and the chain lock, so the next phone in the
    queue starts from the committed chain. Everything else the edge commits at the end of
    the request."""
    session.commit()


def _close_reads(session: Session) -> None:
    """Before a logged write: on SQLite end the read transaction, so the write lock is taken
    before any read (a stale snapshot cannot be upgraded). On PostgreSQL the write can share
    the read transaction (saving its BEGIN and COMMIT); objects read before are expired, so
    the write sees them as they are under the lock. Pending changes are committed first."""
    pending = session.new or session.dirty or session.deleted
    if pending or session.get_bind().dialect.name == "sqlite":
        _commit_logged_write(session)
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
                _commit_logged_write(session)
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
    if not getattr(state, "mapper", None) or state.session_id is None:
        return None  # not in the session (a sign-in's new row): the commit expires nothing
    return {
        attr.key: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in state.dict
    }


def record_signin(
    session: Session,
    slot: SlotContext,
    trainee_id: int,
    values: dict,
    log_extra: dict | None = None,
    enrolment: Enrolment | None = None,
) -> SignedRow:
    """Store one sign-in and its evidence entry; « déjà signé » when one exists or races in.
    ``enrolment``: what the caller already read of the trainee's record on the slot (None:
    it is looked up here). Returns the record as written, as a plain row (the insert goes
    straight to the table: this runs on every sign-in)."""
    if enrolment is None:
        existing = find_emargement(session, slot.id, trainee_id)
    elif enrolment.emargement_id is not None:
        existing = session.get(Emargement, enrolment.emargement_id)
    else:
        existing = None
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

    def write(new_id: int) -> SignedRow:
        signed = SignedRow(id=new_id, **row)
        payload = {
            "emargement_id": new_id,
            "slot_id": slot_id,
            "trainee_id": trainee_id,
            "method": row["method"],
            "record_sha256": evidence.record_digest(signed),
            "ip": row["ip_address"],
            **(log_extra or {}),
        }
        evidence.append(session, org_id, "signin", payload, at=row["signed_at"], chain=chain)
        return signed

    try:
        return logged_write(
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


def can_run_slot(user: User, slot: Slot) -> bool:
    """The slot's trainer, or an administrator, runs its roster."""
    return user.role == "admin" or (user.role == "trainer" and slot.trainer_id == user.id)
