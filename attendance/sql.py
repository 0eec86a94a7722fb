"""One writer at a time on SQLite, woken at once; ``upsert`` for both databases.

SQLite allows one writer. A writer that finds the database locked waits in the busy
handler, which sleeps and retries (up to 100 ms between tries), and a transaction that read
before another writer committed can never write: its snapshot is stale, and SQLite answers
« database is locked » at once, whatever the busy timeout. So every write transaction
queues on a gate before its first statement: an exclusive lock on a file next to the
database (``flock``, shared by every gunicorn worker and the CLI) plus a thread lock within
the process, so the next writer starts as soon as the previous one commits. A transaction
begun inside the gate is ``BEGIN IMMEDIATE``: it holds SQLite's write lock from its first
read, so its snapshot cannot go stale (a writer that skipped the gate makes it wait in the
busy handler instead of failing).

Two ways in: ``sqlite_writer`` around a block (the sign-in's logged write, a rate-limit or
PIN counter), and ``queue_writes`` on a session, after which each transaction it begins
takes the gate until it ends (a staff request that writes, a CLI command). Reads stay
outside: WAL lets them run beside the writer. PostgreSQL needs none of this: its row locks
already wake waiters, and different slot chains run in parallel.
"""

import fcntl
import os
import threading
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_gates: dict[str, "_Gate"] = {}
_gates_lock = threading.Lock()


class _Held(threading.local):
    """The gate this thread holds, and how many holders share it (re-entrant)."""

    depth = 0
    gate: "_Gate | None" = None


_held = _Held()


class _Gate:
    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def reopen_after_fork(self) -> None:
        """A forked worker must not share the parent's open file (flock is per open file)."""
        if self.pid != os.getpid():
            self.lock = threading.Lock()
            self.pid = os.getpid()
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)


def _gate_for(session: Session) -> _Gate | None:
    bind = session.get_bind()
    database = bind.url.database if bind.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + ".write-lock"
    with _gates_lock:
        gate = _gates.get(path)
        if gate is None:
            gate = _gates[path] = _Gate(path)
        gate.reopen_after_fork()
        return gate


def _acquire(session: Session) -> bool:
    """Take the writer gate for this thread (re-entrant); False when there is none."""
    if _held.depth:
        _held.depth += 1
        return True
    gate = _gate_for(session)
    if gate is None:
        return False
    gate.lock.acquire()
    try:
        fcntl.flock(gate.fd, fcntl.LOCK_EX)
    except BaseException:
        gate.lock.release()
        raise
    _held.gate, _held.depth = gate, 1
    return True


def _release() -> None:
    """Give back one hold; the last one opens the gate (holders need not nest)."""
    _held.depth -= 1
    if _held.depth == 0:
        gate, _held.gate = _held.gate, None
        fcntl.flock(gate.fd, fcntl.LOCK_UN)
        gate.lock.release()


def begin_statement() -> str:
    """How a SQLite transaction starts: holding the gate, it is a write one from the start."""
    return "BEGIN IMMEDIATE" if _held.depth else "BEGIN"


@contextmanager
def sqlite_writer(session: Session):
    """Hold the database's writer queue for the block (re-entrant; a no-op off SQLite).
    End any read transaction first: one begun before the block keeps its stale snapshot."""
    taken = _acquire(session)
    try:
        yield
    finally:
        if taken:
            _release()


QUEUES_ITS_WRITES = "queues_its_writes"


def queues_its_writes(view):
    """Mark a view whose writes each take the gate themselves (``sqlite_writer``), so the
    request is not made a write transaction whole: phones of a room run in parallel up to
    their write."""
    setattr(view, QUEUES_ITS_WRITES, True)
    return view


_QUEUED = "sqlite_queue_writes"
_GATED = "sqlite_gated_transaction"


def queue_writes(session: Session, on: bool = True) -> None:
    """From now on (``on``) each transaction ``session`` begins on SQLite is a write one,
    queued on the gate until it ends. Switching off rolls back a queued transaction still
    open, so a finished request or command never keeps the gate."""
    session.info[_QUEUED] = on
    if not on and session.info.get(_GATED) is not None:
        session.rollback()


@event.listens_for(Session, "after_transaction_create")
def _queue_transaction(session, transaction) -> None:
    if transaction.parent is None and session.info.get(_QUEUED) and _acquire(session):
        session.info[_GATED] = transaction


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction) -> None:
    if transaction.parent is None and session.info.get(_GATED) is transaction:
        del session.info[_GATED]
        _release()


def upsert(bind, table, values: dict | list, index_elements=None, set_=None, returning=()):
    """``INSERT … ON CONFLICT`` on either database (``values``: a row, or a list of rows
    with distinct keys): ``DO NOTHING`` without ``set_``, else
    ``DO UPDATE SET set_``; ``set_`` may be a function of the proposed row (``excluded``).

    ``bind`` is a session or a dialect name, so a hot path can build its statement once per
    dialect and keep it."""
    dialect = bind if isinstance(bind, str) else bind.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(values)
    if set_ is None:
        statement = insert.on_conflict_do_nothing(index_elements=index_elements)
    else:
        if callable(set_):
            set_ = set_(insert.excluded)
        statement = insert.on_conflict_do_update(index_elements=index_elements, set_=set_)
    return statement.returning(*returning) if returning else statement
