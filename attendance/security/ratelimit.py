"""Abuse limits on the public doors: login, phone invitations, sign-ins.

Fixed-window counters in the database (``rate_limit_counter``), incremented with one atomic
upsert committed at once: the count survives the request's rollback (a failed login rolls
back, its count must not) and is shared by every process and app server.

Two kinds of limit:

- *attempt* limits count every request of one client (a phone's device cookie, a kiosk):
  a phone retrying in a loop is slowed, twenty phones behind one classroom router are not;
- *failure* limits count refused requests (wrong password, unknown invitation, bad ticket)
  per IP address or per account: guessing is stopped, a storm of good sign-ins is not.

Limits are ``(hits, seconds)`` in ``RATE_LIMITS`` (config); ``RATE_LIMITS_ENABLED`` turns
them off (never in production).
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from functools import wraps

from flask import current_app, make_response, request
from sqlalchemy import bindparam, case, select
from werkzeug.exceptions import HTTPException

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import RateLimitCounter
from attendance.sql import sqlite_writer, upsert

DEFAULT_LIMITS = {
    # Failed logins (attendance.security.login): one account from one IP address, every
    # account from one address (password spraying), one account from everywhere (slower).
    "login_device_failures": (5, 15 * 60),
    "login_ip_failures": (50, 15 * 60),
    "login_account_failures": (50, 60 * 60),
    # Phone invitations: unknown or used tokens per IP; every opening per IP (a classroom
    # binding its phones at once stays far below).
    "invitation_ip_failures": (20, 10 * 60),
    "invitation_ip_attempts": (200, 60),
    # Sign-ins: every attempt of one credential (device, kiosk, link); refusals per IP.
    "signin_client_attempts": (60, 60),
    "signin_ip_failures": (200, 10 * 60),
}

# What counts as a failure: refused credentials, unknown objects, invalid bodies. Not 409
# (a phone retrying a sign-in that was stored gets « déjà signé ») and not 5xx.
FAILURE_STATUSES = frozenset({400, 401, 403, 404, 422})

Keys = Callable[[], Iterable[tuple[str, str | None]]]


class TooManyRequests(DomainError):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(
            "TOO_MANY_REQUESTS",
            "Trop de tentatives : patientez quelques minutes avant de réessayer.",
            {"retry_after_seconds": retry_after},
        )


def _limit(name: str) -> tuple[int, int]:
    limits = current_app.config.get("RATE_LIMITS") or {}
    return limits.get(name) or DEFAULT_LIMITS[name]


def _key(name: str, value: str) -> str:
    return f"{name}:{hashlib.sha256(value.encode()).hexdigest()[:64]}"


def _enabled() -> bool:
    return current_app.config.get("RATE_LIMITS_ENABLED", True)


_COUNTERS = RateLimitCounter.__table__
_UPSERTS = {}  # dialect name -> the counting statement, built once


def _upsert(dialect: str):
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS[dialect] = upsert(
            dialect,
            _COUNTERS,
            {"key": bindparam("key"), "window": bindparam("window"), "hits": 1},
            index_elements=[_COUNTERS.c.key],
            set_=lambda excluded: {
                "hits": case(
                    (_COUNTERS.c.window == excluded.window, _COUNTERS.c.hits + 1), else_=1
                ),
                "window": excluded.window,
            },
            returning=[_COUNTERS.c.hits],
        )
    return statement


_COUNTS = {}  # number of keys -> the reading statement, built once


def _counts_statement(n: int):
    """``key IN (:k0, …)`` with a fixed number of keys: cached whole, unlike an expanding IN,
    which is re-rendered on every execution."""
    statement = _COUNTS.get(n)
    if statement is None:
        keys = [bindparam(f"k{i}") for i in range(n)]
        statement = _COUNTS[n] = select(
            _COUNTERS.c.key, _COUNTERS.c.window, _COUNTERS.c.hits
        ).where(_COUNTERS.c.key.in_(keys))
    return statement


def _window(name: str) -> int:
    return int(time.time()) // _limit(name)[1]


def _increment(session, name: str, value: str) -> int:
    """Count one hit in the session's current transaction; returns the new count."""
    statement = _upsert(session.get_bind().dialect.name)
    parameters = {"key": _key(name, value), "window": _window(name)}
    return session.connection().execute(statement, parameters).scalar_one()


def hit(name: str, value: str) -> int:
    """Count one more hit of ``value`` under limit ``name`` and commit; returns the count.

    Called before the view's own work or after its rollback, so the commit carries nothing
    else. It goes through the request's session, not a second connection: on SQLite a second
    writer would make the session's later upgrade to a write fail (stale WAL snapshot)."""
    session = db.session
    session.commit()  # end any read snapshot before writing
    with sqlite_writer(session):  # queue with the other writers instead of busy-sleeping
        hits = _increment(session, name, value)
        session.commit()
    return hits


def counts(keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], int]:
    """The current window's count of each (limit, value), in one statement."""
    wanted = {_key(name, value): (name, value) for name, value in keys if value}
    if not wanted:
        return {}
    found = {name_value: 0 for name_value in wanted.values()}
    statement = _counts_statement(len(wanted))
    parameters = {f"k{i}": key for i, key in enumerate(wanted)}
    for key, window, hits in db.session.connection().execute(statement, parameters):
        name, value = wanted[key]
        if window == _window(name):
            found[name, value] = hits
    return found


def _retry_after(name: str) -> int:
    _, seconds = _limit(name)
    return seconds - int(time.time()) % seconds


def refuse_over_quota(keys: Iterable[tuple[str, str | None]]) -> None:
    """Refuse (429) when any (limit, value) already used its quota: one read for all."""
    for (name, _value), hits in counts(keys).items():
        if hits >= _limit(name)[0]:
            raise TooManyRequests(_retry_after(name))


def record_failures(keys: Iterable[tuple[str, str | None]]) -> None:
    db.session.rollback()  # the refused request wrote nothing; free the SQLite write lock
    for name, value in keys:
        if value:
            hit(name, value)


_DEFERRED = "rate_limit_deferred"


@contextmanager
def attempts_counted_with(session):
    """Count the request's attempts inside its logged write (``signing.common``): one
    statement in a transaction that commits anyway, instead of a transaction of its own.
    When that write fails they are counted after the view, like those of a request that
    never reaches a write."""
    keys = session.info.pop(_DEFERRED, ())
    for name, value in keys:
        _increment(session, name, value)
    try:
        yield
    except BaseException:
        session.info[_DEFERRED] = keys
        raise


def _count_left(session) -> None:
    """Attempts the view did not count with a write of its own, counted alone."""
    for name, value in session.info.pop(_DEFERRED, ()):
        hit(name, value)


def rate_limited(attempts: Keys | None = None, failures: Keys | None = None):
    """Wrap a view: refuse when the ``attempts()`` or ``failures()`` keys are over quota
    (one read for all), count the attempt (with the view's write when it makes one) and,
    when the view refuses the request, count a failure."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _enabled():
                return view(*args, **kwargs)
            attempt_keys = [(n, v) for n, v in (attempts() if attempts else ()) if v]
            failure_keys = list(failures()) if failures else []
            refuse_over_quota(attempt_keys + failure_keys)
            session = db.session
            session.info[_DEFERRED] = attempt_keys
            try:
                response = make_response(view(*args, **kwargs))
            except BaseException as error:
                session.rollback()
                _count_left(session)
                status = getattr(error, "status", None) or getattr(error, "code", None)
                if isinstance(error, DomainError | HTTPException) and status in FAILURE_STATUSES:
                    record_failures(failure_keys)
                raise
            _count_left(session)
            if response.status_code in FAILURE_STATUSES:
                record_failures(failure_keys)
            return response

        return wrapper

    return decorator


def reserve(name: str, value: str) -> int:
    """Take one try of ``value`` under limit ``name`` before trying: 0 when taken, else the
    seconds until the window ends. Counting first (one atomic upsert) and refusing above the
    quota lets no more than the quota through, even from a burst of parallel requests;
    checking first and counting after let them all pass the check. Commits."""
    if not _enabled():
        return 0
    quota = _limit(name)[0]
    if counts([(name, value)]).get((name, value), 0) >= quota or hit(name, value) > quota:
        return _retry_after(name)
    return 0


def release(name: str, value: str) -> None:
    """Give back a try taken with ``reserve`` that turned out not to count (the password was
    right, the request failed for another reason). Commits."""
    if not _enabled():
        return
    session = db.session
    session.commit()
    with sqlite_writer(session):
        session.connection().execute(
            _COUNTERS.update()
            .where(
                _COUNTERS.c.key == _key(name, value),
                _COUNTERS.c.window == _window(name),
                _COUNTERS.c.hits > 0,
            )
            .values(hits=_COUNTERS.c.hits - 1)
        )
        session.commit()


def client_ip() -> str:
    """The caller's address; behind a load balancer, ProxyFix (``TRUSTED_PROXIES``) has
    already put the client's address here."""
    return request.remote_addr or "unknown"
