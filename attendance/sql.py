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
from sqlalchemy.exc import DBAPIError
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


class Prepared:
    """A hot statement rendered once per dialect and run straight on the DBAPI cursor of the
    session's connection, inside the session's transaction.

    A sign-in runs a handful of statements and SQLAlchemy's execution path (the cache key,
    the execution context, the Result) cost about as much as the driver itself on each. The
    statement is written with Core as usual; here it is compiled once (``column_keys``: the
    columns an INSERT is given), its parameters are put in the driver's order with the
    types' own conversions, and its rows come back as plain tuples through the types'
    result conversions. What it cannot do (Python-side column defaults, expanding IN) is
    refused when it is rendered, not silently skipped. Driver errors come out as
    SQLAlchemy's (``IntegrityError``…), as from ``Session.execute``."""

    __slots__ = ("_column_keys", "_rendered", "_statement")

    def __init__(self, statement, column_keys=None):
        self._statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._rendered = {}  # driver name (pysqlite, psycopg2…) -> what ``rows`` needs

    def _render(self, dialect):
        compiled = self._statement.compile(dialect=dialect, column_keys=self._column_keys)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("Prepared statements take every column value from the caller")
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Prepared statements have a fixed shape (no expanding IN)")
        processors = compiled._bind_processors
        defaults = compiled.construct_params(escape_names=False, _check=False)
        escaped = compiled.escaped_bind_names or {}
        order = compiled.positiontup if compiled.positional else list(defaults)
        binds = tuple(
            (name, escaped.get(name, name), processors.get(name), defaults.get(name))
            for name in order
        )
        results = tuple(
            column.type._cached_result_processor(dialect, None)
            for column in compiled._result_columns
        )
        rendered = self._rendered[dialect.driver] = (
            compiled.string,
            compiled.positional,
            binds,
            results if any(results) else None,
        )
        return rendered

    def rows(self, session, parameters: dict) -> list[tuple]:
        """Run in the session's transaction; every row the statement returns (none for a
        statement without RETURNING)."""
        connection = session.connection()
        dialect = connection.dialect
        rendered = self._rendered.get(dialect.driver) or self._render(dialect)
        sql, positional, binds, results = rendered
        if positional:
            values = [
                convert(parameters.get(name, default)) if convert else parameters.get(name, default)
                for name, _, convert, default in binds
            ]
        else:
            values = {
                key: convert(parameters.get(name, default))
                if convert
                else parameters.get(name, default)
                for name, key, convert, default in binds
            }
        driver_connection = connection.connection.dbapi_connection
        cursor = driver_connection.cursor()
        try:
            cursor.execute(sql, values)
            found = cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, driver_connection, cursor)
            if lost:
                connection.invalidate(error)  # never handed out again by the pool
            raise DBAPIError.instance(
                sql,
                values,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        finally:
            cursor.close()
        if results is None:
            return found
        return [
            tuple(
                convert(value) if convert else value
                for convert, value in zip(results, row, strict=True)
            )
            for row in found
        ]

    def first(self, session, parameters: dict) -> tuple | None:
        """The first row returned, or None."""
        found = self.rows(session, parameters)
        return found[0] if found else None


def _converted(results: tuple, row: tuple) -> tuple:
    return tuple(
        convert(value) if convert else value for convert, value in zip(results, row, strict=True)
    )
