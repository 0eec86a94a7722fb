"""Reminders (DOMAIN "What users expect"): a trainee who has not signed some minutes after a
slot starts, and a trainer who has not validated a slot some minutes after it ends, are told
once. Delays are per organisation (``Organisation.reminder_*_delay_minutes``).

``attendance remind`` runs from cron, possibly on several servers at once. A reminder is
*claimed* before it is sent: its row is inserted (``ON CONFLICT DO NOTHING`` on the unique
(kind, slot, recipient)) in a transaction of its own, and only the run whose insert took
effect sends. A failed send is stored as ``failed`` and taken back by the next run with a
conditional update (``WHERE status = 'failed' AND attempts = n``), which again only one run
can win; so does a claim left ``sending`` by a run that died, after
REMINDER_CLAIM_TIMEOUT_MINUTES. Reminders are only sent while they are still due: a trainee
who signed meanwhile is not retried.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from attendance.clock import local_time
from attendance.hours.classes import SYNCHRONOUS_CLASSES
from attendance.models import Emargement, Organisation, Reminder, Slot, User
from attendance.models.types import utcnow
from attendance.notify.channels import Channel, Message
from attendance.signing.common import expected_trainees
from attendance.sql import upsert

TRAINEE_UNSIGNED = "trainee_unsigned"
TRAINER_UNVALIDATED = "trainer_unvalidated"


@dataclass(frozen=True)
class Due:
    """A reminder that should exist now, as plain values (no ORM object crosses a commit)."""

    organisation_id: int
    kind: str
    slot_id: int
    recipient: str
    trainee_id: int | None
    user_id: int | None
    message: Message


@dataclass
class RunReport:
    sent: int = 0
    failed: int = 0
    taken_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)


def _local(moment: datetime) -> datetime:
    return local_time(moment)


def _slot_words(slot: Slot) -> str:
    start, end = _local(slot.starts_at), _local(slot.ends_at)
    where = f" ({slot.site})" if slot.site else ""
    title = slot.title or slot.composante.title
    return f"« {title} » du {start:%d/%m/%Y}, {start:%H:%M}–{end:%H:%M}{where}"


def trainee_message(org: Organisation, slot: Slot, trainee, address: str) -> Message:
    return Message(
        address,
        f"Émargement : pensez à signer — {slot.title or slot.composante.title}",
        f"Bonjour {trainee.first_name},\n\n"
        f"Vous n'avez pas encore signé la feuille de présence de la séance {_slot_words(slot)}.\n"
        "Signez dès maintenant depuis votre téléphone (QR code affiché par le formateur, "
        "ou lien de la classe virtuelle). Si vous ne pouvez pas être présent(e), "
        "prévenez votre formateur.\n\n"
        f"{org.name}\n",
    )


def trainer_message(org: Organisation, slot: Slot, trainer: User, unsigned: int) -> Message:
    missing = (
        f"{unsigned} stagiaire(s) n'ont pas signé : ils seront enregistrés absents à la "
        "validation.\n"
        if unsigned
        else "Tous les stagiaires attendus ont signé.\n"
    )
    return Message(
        trainer.email,
        f"Séance à valider — {slot.title or slot.composante.title}",
        f"Bonjour {trainer.full_name},\n\n"
        f"La séance {_slot_words(slot)} est terminée mais pas encore validée.\n{missing}"
        "Ouvrez la feuille de présence, signez et validez la séance : sans validation, "
        "ses heures restent en attente dans la déclaration du mois.\n\n"
        f"{org.name}\n",
    )


def due_reminders(session: Session, org: Organisation, now: datetime) -> list[Due]:
    """Every reminder that should have been sent by ``now`` (sent or not): trainees expected
    on a running synchronous slot who have no sign-in ``reminder_trainee_delay_minutes`` after
    its start; trainers of a slot still not validated ``reminder_trainer_delay_minutes`` after
    its end. Slots older than REMINDER_LOOKBACK_HOURS are left alone (first deployment)."""
    lookback = now - timedelta(hours=int(current_app.config["REMINDER_LOOKBACK_HOURS"]))
    trainee_delay = timedelta(minutes=org.reminder_trainee_delay_minutes)
    trainer_delay = timedelta(minutes=org.reminder_trainer_delay_minutes)
    due: list[Due] = []
    running = session.scalars(
        select(Slot)
        .where(
            Slot.organisation_id == org.id,
            Slot.kind.in_(sorted(SYNCHRONOUS_CLASSES)),
            Slot.validated_at.is_(None),
            Slot.starts_at <= now - trainee_delay,
            Slot.starts_at >= lookback,
            Slot.ends_at > now,
        )
        .order_by(Slot.starts_at, Slot.id)
    ).all()
    for slot in running:
        signed = set(
            session.scalars(select(Emargement.trainee_id).where(Emargement.slot_id == slot.id))
        )
        for trainee in expected_trainees(session, slot):
            if trainee.id in signed or not trainee.email or trainee.anonymised_at:
                continue
            due.append(
                Due(
                    org.id,
                    TRAINEE_UNSIGNED,
                    slot.id,
                    f"trainee:{trainee.id}",
                    trainee.id,
                    None,
                    trainee_message(org, slot, trainee, trainee.email),
                )
            )
    ended = session.execute(
        select(Slot, User)
        .join(User, User.id == Slot.trainer_id)
        .where(
            Slot.organisation_id == org.id,
            Slot.validated_at.is_(None),
            Slot.ends_at <= now - trainer_delay,
            Slot.ends_at >= lookback,
            User.active.is_(True),
        )
        .order_by(Slot.ends_at, Slot.id)
    ).all()
    for slot, trainer in ended:
        signed = set(
            session.scalars(select(Emargement.trainee_id).where(Emargement.slot_id == slot.id))
        )
        unsigned = sum(1 for t in expected_trainees(session, slot) if t.id not in signed)
        due.append(
            Due(
                org.id,
                TRAINER_UNVALIDATED,
                slot.id,
                f"user:{trainer.id}",
                None,
                trainer.id,
                trainer_message(org, slot, trainer, unsigned),
            )
        )
    return due


def _claim_new(session: Session, due: Due, channel: Channel, claim_id: str, now) -> int | None:
    """Insert the reminder row; the unique constraint decides who sends. Returns its id."""
    values = {
        "organisation_id": due.organisation_id,
        "kind": due.kind,
        "slot_id": due.slot_id,
        "recipient": due.recipient,
        "trainee_id": due.trainee_id,
        "user_id": due.user_id,
        "channel": channel.name,
        "status": "sending",
        "claim_id": claim_id,
        "attempts": 1,
        "claimed_at": now,
    }
    reminder_id = session.scalar(upsert(session, Reminder, values, returning=[Reminder.id]))
    session.commit()
    return reminder_id


def _claim_again(session: Session, row, claim_id: str, now, max_attempts: int, stale) -> bool:
    """Take back a failed reminder (or one whose run died): a conditional update that only one
    concurrent run can win, since the loser's WHERE no longer matches."""
    if row.status == "failed" and row.attempts < max_attempts:
        condition = Reminder.status == "failed"
    elif row.status == "sending" and row.claimed_at < stale:
        condition = Reminder.status == "sending"
    else:
        return False
    result = session.execute(
        update(Reminder)
        .where(
            Reminder.id == row.id,
            condition,
            Reminder.attempts == row.attempts,
            Reminder.claim_id == row.claim_id,
        )
        .values(status="sending", claim_id=claim_id, attempts=row.attempts + 1, claimed_at=now)
    )
    session.commit()
    return result.rowcount == 1


def _finish(session: Session, reminder_id: int, claim_id: str, error: str | None) -> None:
    values = (
        {"status": "sent", "sent_at": utcnow(), "last_error": None}
        if error is None
        else {"status": "failed", "last_error": error[:2000]}
    )
    session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.claim_id == claim_id)
        .values(**values)
    )
    session.commit()


def send_due_reminders(
    session: Session,
    channel: Channel,
    now: datetime | None = None,
    progress: Callable[[int], object] | None = None,
) -> RunReport:
    """One ``attendance remind`` run over every organisation; safe to overlap with others."""
    now = now or utcnow()
    claim_id = uuid.uuid4().hex
    config = current_app.config
    max_attempts = int(config["REMINDER_MAX_ATTEMPTS"])
    stale = now - timedelta(minutes=int(config["REMINDER_CLAIM_TIMEOUT_MINUTES"]))
    report = RunReport()
    due: list[Due] = []
    for org in session.scalars(select(Organisation).order_by(Organisation.id)).all():
        due.extend(due_reminders(session, org, now))
    existing = {
        (r.kind, r.slot_id, r.recipient): r
        for r in session.execute(
            select(
                Reminder.id,
                Reminder.kind,
                Reminder.slot_id,
                Reminder.recipient,
                Reminder.status,
                Reminder.attempts,
                Reminder.claim_id,
                Reminder.claimed_at,
            ).where(Reminder.slot_id.in_({d.slot_id for d in due}))
        )
    }
    session.commit()  # end the read: on SQLite each claim must start its own write
    for item in due:
        row = existing.get((item.kind, item.slot_id, item.recipient))
        if row is None:
            reminder_id = _claim_new(session, item, channel, claim_id, now)
        elif row.status == "sent":
            reminder_id = None
        else:
            reminder_id = (
                row.id if _claim_again(session, row, claim_id, now, max_attempts, stale) else None
            )
        if progress is not None:
            progress(1)
        if reminder_id is None:
            report.taken_elsewhere += row is None  # another run inserted it first
            continue
        try:
            channel.send(item.message)
        except (OSError, ValueError) as error:  # smtplib errors are OSError subclasses
            _finish(session, reminder_id, claim_id, f"{type(error).__name__}: {error}")
            report.failed += 1
            report.errors.append(f"{item.message.to} : {error}")
            continue
        _finish(session, reminder_id, claim_id, None)
        report.sent += 1
    return report


def reminders_for_slot(session: Session, slot_id: int) -> dict:
    """What the roster shows: the reminder per trainee, and the trainer's."""
    rows = session.scalars(select(Reminder).where(Reminder.slot_id == slot_id)).all()
    return {
        "trainees": {r.trainee_id: r for r in rows if r.kind == TRAINEE_UNSIGNED},
        "trainer": next((r for r in rows if r.kind == TRAINER_UNVALIDATED), None),
    }
