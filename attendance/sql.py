"""One logged writer at a time on SQLite, woken at once.

SQLite allows one writer; a writer that finds the database locked waits in the busy
handler, which sleeps and retries (up to 100 ms between tries). Under a room of phones
signing at once that turns a 1 ms write into hundreds of milliseconds of sleeping. Logged
writes (``common.logged_write``) therefore queue on an exclusive lock on a file next to
the database (``flock``, shared by every gunicorn worker) plus a thread lock within the
process, so the next writer starts as soon as the previous one commits. PostgreSQL needs
none of this: its row locks already wake waiters, and different slot chains run in
parallel.

``upsert`` is the one ``INSERT … ON CONFLICT`` for both databases.
"""

import fcntl
import os
import threading
from contextlib import contextmanager

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_gates: dict[str, "_Gate"] = {}
_gates_lock = threading.Lock()
_held = threading.local()


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


@contextmanager
def sqlite_writer(session: Session):
    """Hold the database's writer queue for the block (re-entrant; a no-op off SQLite)."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    gate = _gate_for(session)
    if gate is None:
        yield
        return
    with gate.lock:
        fcntl.flock(gate.fd, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(gate.fd, fcntl.LOCK_UN)


def upsert(bind, table, values: dict, index_elements=None, set_=None, returning=()):
    """``INSERT … ON CONFLICT`` on either database: ``DO NOTHING`` without ``set_``, else
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
