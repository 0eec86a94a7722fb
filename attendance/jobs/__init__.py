"""Background work (travaux): long tasks a page asks for, run outside the request.

One documented way (README « Travaux en arrière-plan »): the ``job`` table is the queue.
A page creates a row (``enqueue``) and sends the user to the job's page, which polls its
state; the poll starts a worker thread in the serving process when the row is waiting
(``revive``), and the thread claims the row with a conditional update, so of two polls (two
gunicorn workers) only one runs it. A worker that dies (a gunicorn worker restarted, a
deploy) stops beating its heartbeat: after ``STALE_AFTER`` the next poll, or an operator's
``attendance jobs run``, claims the row again. No other server to install.

The handler reads with the thread's own session and never commits; progress, result and
failure are written in short transactions of their own (queued on SQLite like any write),
so a 30-second batch holds no lock.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import and_, delete, or_, update
from sqlalchemy.orm import Session

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.jobs.kinds import KINDS, Outcome
from attendance.models import Job, Organisation, User
from attendance.models.types import utcnow
from attendance.sql import queue_writes
from attendance.tenancy import get_owned

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_SECONDS = 0.5
# A finished job (and its file) is kept this long, then cleared when the next one is asked for.
KEPT_FOR = timedelta(days=7)
UNEXPECTED = (
    "Le travail a échoué sur une erreur inattendue, enregistrée pour l'équipe technique. "
    "Relancez-le ; si l'échec se répète, signalez-le."
)


def enqueue(session: Session, org: Organisation, user: User, kind: str, params: dict) -> Job:
    """A queued job of ``kind``; the request that asks for it commits it (flush only)."""
    if kind not in KINDS:
        raise DomainError("UNKNOWN_JOB_KIND", f"Type de travail inconnu : {kind}.", status=400)
    session.execute(
        delete(Job)
        .where(
            Job.organisation_id == org.id,
            Job.state.in_(("done", "failed")),
            Job.finished_at < utcnow() - KEPT_FOR,
        )
        .execution_options(synchronize_session=False)
    )
    job = Job(organisation_id=org.id, kind=kind, params=params, created_by_id=user.id)
    session.add(job)
    session.flush()
    return job


def owned_job(session: Session, org: Organisation, job_id: int) -> Job:
    return get_owned(session, Job, job_id, org, "travail")


def _write(job_id: int, *conditions, **values) -> bool:
    """One short transaction on the job row; True when the row matched ``conditions``."""
    with Session(db.engine) as session:
        queue_writes(session)
        try:
            matched = session.execute(
                update(Job)
                .where(Job.id == job_id, *conditions)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        finally:
            queue_writes(session, False)
    return matched == 1


def _waiting(now):
    """Queued, or running with a heartbeat older than the stale delay (its worker died)."""
    return or_(
        Job.state == "queued",
        and_(Job.state == "running", Job.heartbeat_at < now - STALE_AFTER),
    )


def claim(job_id: int) -> bool:
    """Take the job for this worker, atomically: only one claimant wins."""
    now = utcnow()
    return _write(
        job_id,
        _waiting(now),
        state="running",
        started_at=now,
        heartbeat_at=now,
        attempts=Job.attempts + 1,
        error=None,
    )


def _progress(job_id: int) -> Callable[[int, int], None]:
    """The handler's callback: counts written at most every ``HEARTBEAT_SECONDS`` (and the
    last one always), each a heartbeat."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < HEARTBEAT_SECONDS:
            return
        last[0] = now
        _write(job_id, Job.state == "running", done=done, total=total, heartbeat_at=utcnow())

    return report


def run(job_id: int) -> bool:
    """Claim and run one job in the current app context; False when another worker has it."""
    if not claim(job_id):
        return False
    try:
        job = db.session.get(Job, job_id)
        org = db.session.get(Organisation, job.organisation_id)
        outcome: Outcome = KINDS[job.kind](db.session, org, dict(job.params), _progress(job_id))
    except DomainError as error:
        db.session.rollback()
        _write(job_id, state="failed", error=error.message[:1000], finished_at=utcnow())
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", job_id)
        _write(job_id, state="failed", error=UNEXPECTED, finished_at=utcnow())
    else:
        db.session.rollback()
        _write(
            job_id,
            state="done",
            result=outcome.content,
            result_name=outcome.name,
            result_mimetype=outcome.mimetype,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
        )
    return True


def _in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def revive(app: Flask, job: Job) -> bool:
    """Start a worker thread when ``job`` waits for one (queued, or its worker died); the
    claim inside decides, so a needless start costs one UPDATE."""
    if job.state == "queued" or (
        job.state == "running"
        and (job.heartbeat_at is None or job.heartbeat_at < utcnow() - STALE_AFTER)
    ):
        threading.Thread(target=_in_thread, args=(app, job.id), daemon=True).start()
        return True
    return False


def run_waiting(session: Session) -> int:
    """Every waiting job, one after the other, in this process (``attendance jobs run``)."""
    count = 0
    while True:
        job_id = session.scalar(
            db.select(Job.id).where(_waiting(utcnow())).order_by(Job.id).limit(1)
        )
        session.rollback()
        if job_id is None:
            return count
        count += run(job_id)
