"""What the sign-in operations share: request context, slot checks, the logged write."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import inspect, literal, select
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from attendance.errors import Conflict, DomainError
from attendance.models import Composante, Emargement, Pathway, Slot, Trainee, User
from attendance.models.types import utcnow
from attendance.months.lock import ensure_open, local_day
from attendance.signing import evidence
from attendance.signing.write_gate import sqlite_writer


@dataclass
class Client:
    """Who is at the other end of a request: kept as evidence with each sign-in."""

    ip: str | None = None
    user_agent: str | None = None
    now: datetime = field(default_factory=utcnow)

    def evidence(self) -> dict:
        return {"ip": self.ip, "user_agent": (self.user_agent or "")[:500]}


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def half_day(slot: Slot) -> str:
    local = slot.starts_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return "matin" if local.hour < 12 else "après-midi"


def late_minutes(slot: Slot, signed_at: datetime) -> int:
    """Minutes after the slot's start; signing within the grace (default 5 min) is on time."""
    grace = int(current_app.config.get("SIGNIN_LATE_GRACE_MINUTES", 5))
    late = int((signed_at - slot.starts_at).total_seconds() // 60)
    if late <= grace:
        return 0
    return min(late, slot.scheduled_minutes)


def refuse_if_validated(slot: Slot) -> None:
    if slot.validated_at is not None:
        raise Conflict(
            "SLOT_VALIDATED",
            "Cette séance a été validée par le formateur : l'émargement est clos. "
            "Une modification passe désormais par une correction motivée.",
            {"slot_id": slot.id},
        )


def _expected_statement(slot: Slot):
    """Trainees expected on a group slot: a pathway on the slot's composante that has started
    and has not ended before the slot's day."""
    day = local_date(slot.starts_at)
    return (
        select(Trainee)
        .join(Pathway, Pathway.trainee_id == Trainee.id)
        .where(
            Pathway.composante_id == slot.composante_id,
            Pathway.organisation_id == slot.organisation_id,
            Pathway.entry_date <= day,
            (Pathway.effective_exit_date.is_(None)) | (Pathway.effective_exit_date >= day),
        )
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


def enrolment_and_record(session: Session, slot: Slot, trainee_id: int) -> tuple[bool, int | None]:
    """In one statement: is the trainee expected on the slot, and the id of their record
    for it if they already have one."""
    if slot.trainee_id is not None:
        expected = literal(slot.trainee_id == trainee_id)
    else:
        expected = (
            _expected_statement(slot).with_only_columns(Trainee.id).where(Trainee.id == trainee_id)
        ).exists()
    record = (
        select(Emargement.id)
        .where(Emargement.slot_id == slot.id, Emargement.trainee_id == trainee_id)
        .scalar_subquery()
    )
    row = session.execute(select(expected, record)).one()
    return bool(row[0]), row[1]


def already_signed(existing: Emargement) -> Conflict:
    when = existing.signed_at or existing.created_at
    local = when.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
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


def _slot_state_under_lock(session: Session, slot_id: int):
    """The slot's validation, start and BDC, re-read under the chain lock in one statement."""
    return session.execute(
        select(Slot.validated_at, Slot.starts_at, Composante.purchase_order_id)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(Slot.id == slot_id)
    ).one()


def logged_write(
    session: Session,
    organisation_id: int,
    slot_id: int | None,
    write: Callable[[], object],
    *,
    check_validated: bool = True,
):
    """Run ``write`` in a fresh transaction that first takes the evidence chain lock (the
    slot's chain, or the organisation's when ``slot_id`` is None), then commit. Reads made
    before (token, device, slot checks) are closed first, so on SQLite the write lock is
    taken before any read and concurrent phones queue instead of failing. The slot's
    validation (unless a correction after it) and its month's lock (R11, always) are
    re-checked under the lock. A unique (slot, trainee) violation — two submissions
    racing — becomes « déjà signé »; nothing else is stored. A row ``write`` returns stays
    loaded after the commit (it holds what was just written), so answering with it does
    not read it back."""
    session.commit()
    with sqlite_writer(session):
        try:
            if slot_id is None:
                evidence.lock_chain(session, organisation_id)
            else:
                evidence.lock_chain(session, organisation_id, evidence.slot_chain(slot_id))
                state = _slot_state_under_lock(session, slot_id)
                if check_validated and state.validated_at is not None:
                    refuse_if_validated(session.get(Slot, slot_id))
                # R11, read FOR SHARE: waits for a month validation in progress.
                ensure_open(
                    session,
                    organisation_id,
                    state.purchase_order_id,
                    [local_day(state.starts_at)],
                )
            result = write()
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
    slot: Slot,
    trainee_id: int,
    values: dict,
    log_extra: dict | None = None,
    existing_id: int | None = -1,
) -> Emargement:
    """Store one sign-in and its evidence entry; « déjà signé » when one exists or races in.
    ``existing_id``: the caller already looked the (slot, trainee) record up (None: none)."""
    if existing_id == -1:
        existing = find_emargement(session, slot.id, trainee_id)
    else:
        existing = session.get(Emargement, existing_id) if existing_id is not None else None
    if existing is not None:
        raise already_signed(existing)
    org_id, slot_id = slot.organisation_id, slot.id
    chain = evidence.slot_chain(slot_id)

    def write() -> Emargement:
        emargement = Emargement(
            organisation_id=org_id, slot_id=slot_id, trainee_id=trainee_id, **values
        )
        session.add(emargement)
        session.flush()
        payload = {
            "emargement_id": emargement.id,
            "slot_id": slot_id,
            "trainee_id": trainee_id,
            "method": emargement.method,
            "record_sha256": evidence.record_digest(emargement),
            "ip": emargement.ip_address,
            **(log_extra or {}),
        }
        evidence.append(session, org_id, "signin", payload, at=emargement.signed_at, chain=chain)
        return emargement

    try:
        return logged_write(session, org_id, slot_id, write)
    except IntegrityError:
        existing = find_emargement(session, slot_id, trainee_id)
        if existing is None:
            raise
        raise already_signed(existing) from None


def can_run_slot(user: User, slot: Slot) -> bool:
    """The slot's trainer, or an administrator, runs its roster."""
    return user.role == "admin" or (user.role == "trainer" and slot.trainer_id == user.id)
