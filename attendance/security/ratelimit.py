"""Abuse limits on the public doors: login, phone invitations, sign-ins.

Fixed-window counters in the database (``rate_limit_counter``), shared by every process and
app server. A request takes its hits *before* it runs: one upsert per key, ``RETURNING`` the
new count, committed at once (so the count survives the request's rollback), and the
decision is taken on the returned counts. Parallel requests cannot all read the same count
and all pass: a burst gets exactly the limit through. A refused request takes nothing.

Two kinds of limit:

- *attempt* limits count every request of one client (a phone's device cookie, a kiosk):
  a phone retrying in a loop is slowed, twenty phones behind one classroom router are not;
- *failure* limits count refused requests (wrong password, unknown invitation, bad ticket)
  per IP address, per account or per signing credential: guessing is stopped, a storm of
  good sign-ins is not. A
  try holds its failure hit while it runs and gives it back when it succeeds, so no more
  tries run at once than the quota has left.

The sign-ins count with their outcome instead (``counted_with_outcome``): the limits are
read first, the attempt is counted inside the sign-in's own write transaction, and a refused
sign-in counts its attempt and its refusal after its rollback, each decided on the count its
upsert returns. The same exactness, one write transaction per sign-in instead of two.

Limits are ``(hits, seconds)`` in ``RATE_LIMITS`` (config); ``RATE_LIMITS_ENABLED`` turns
them off (never in production).
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, make_response, request
from sqlalchemy import bindparam, case, select, update
from werkzeug.exceptions import HTTPException

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import RateLimitCounter
from attendance.sql import Prepared, sqlite_writer, upsert

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
    # Sign-ins: every attempt and every refusal of one credential (device, kiosk, link);
    # refusals of requests carrying no credential, per IP (``signing.quotas``).
    "signin_client_attempts": (60, 60),
    "signin_client_failures": (50, 10 * 60),
    "signin_kiosk_failures": (200, 10 * 60),
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
_UPSERTS = {}  # (dialect name, number of keys) -> the counting statement, built once


def _upsert(dialect: str, n: int = 1):
    """One hit on each of ``n`` keys (``k0``/``w0``…) in one statement, returning every new
    count: a request takes all its hits in one round trip."""
    statement = _UPSERTS.get((dialect, n))
    if statement is None:
        rows = [
            {"key": bindparam(f"k{i}"), "window": bindparam(f"w{i}"), "hits": 1} for i in range(n)
        ]
        statement = _UPSERTS[dialect, n] = Prepared(
            upsert(
                dialect,
                _COUNTERS,
                rows,
                index_elements=[_COUNTERS.c.key],
                set_=lambda excluded: {
                    "hits": case(
                        (_COUNTERS.c.window == excluded.window, _COUNTERS.c.hits + 1), else_=1
                    ),
                    "window": excluded.window,
                },
                returning=[_COUNTERS.c.key, _COUNTERS.c.hits],
            )
        )
    return statement


_COUNTS = {}  # number of keys -> the reading statement, built once


def _counts_statement(n: int):
    """``key IN (:k0, …)`` with a fixed number of keys: cached whole, unlike an expanding IN,
    which is re-rendered on every execution."""
    statement = _COUNTS.get(n)
    if statement is None:
        keys = [bindparam(f"k{i}") for i in range(n)]
        statement = _COUNTS[n] = Prepared(
            select(_COUNTERS.c.key, _COUNTERS.c.window, _COUNTERS.c.hits).where(
                _COUNTERS.c.key.in_(keys)
            )
        )
    return statement


def _window(name: str) -> int:
    return int(time.time()) // _limit(name)[1]


def _increment(session, name: str, value: str) -> int:
    """Count one hit in the session's current transaction; returns the new count."""
    return _increment_key(session, _key(name, value), _window(name))


def _increment_key(session, key: str, window: int) -> int:
    return _increment_keys(session, [(key, window)])[key]


def _increment_keys(session, keys: list[tuple[str, int]]) -> dict[str, int]:
    """One hit on each (key, window), in key order (row locks always taken in the same
    order, so two requests sharing keys cannot deadlock); the new count of each key."""
    keys = sorted(keys)
    statement = _upsert(session.get_bind().dialect.name, len(keys))
    parameters = {}
    for i, (key, window) in enumerate(keys):
        parameters[f"k{i}"], parameters[f"w{i}"] = key, window
    return dict(statement.rows(session, parameters))


_GIVE_BACK = Prepared(
    update(_COUNTERS)
    .where(
        _COUNTERS.c.key == bindparam("k"),
        _COUNTERS.c.window == bindparam("w"),
        _COUNTERS.c.hits > 0,
    )
    .values(hits=_COUNTERS.c.hits - 1)
)


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


@dataclass
class Reservation:
    """The hits a request took before running: (limit name, key, window) of each."""

    taken: list[tuple[str, str, int]] = field(default_factory=list)

    def only(self, names: Iterable[str]) -> "Reservation":
        """The hits taken under these limits (the failure ones, to give back)."""
        names = set(names)
        return Reservation([taken for taken in self.taken if taken[0] in names])


def reserve(keys: Iterable[tuple[str, str | None]]) -> Reservation:
    """Take one hit on each (limit, value) now and commit, or refuse (429) when any count
    comes back over its limit, taking none. The decision is on the counts the upserts
    return under their row locks, so parallel requests never share a count."""
    wanted = list(dict.fromkeys((name, value) for name, value in keys if value))
    reservation = Reservation()
    if not wanted:
        return reservation
    session = db.session
    session.commit()  # end any read snapshot before writing
    reservation.taken = [(name, _key(name, value), _window(name)) for name, value in wanted]
    with sqlite_writer(session):
        try:
            hits = _increment_keys(session, [(key, window) for _, key, window in reservation.taken])
            for name, key, _window_taken in reservation.taken:
                if hits[key] > _limit(name)[0]:
                    raise TooManyRequests(_retry_after(name))
        except BaseException:
            session.rollback()  # the hits of a refused request are not counted
            raise
        session.commit()
    return reservation


def _give_back_in(session, reservation: Reservation) -> None:
    """Give the hits back in the session's current transaction (same window only)."""
    for _name, key, window in reservation.taken:
        _GIVE_BACK.rows(session, {"k": key, "w": window})
    reservation.taken = []


def give_back(reservation: Reservation) -> None:
    """The try did not fail: its failure hits are given back, committed at once."""
    if not reservation.taken:
        return
    session = db.session
    session.commit()  # the view's work so far, and the end of its read snapshot
    with sqlite_writer(session):
        _give_back_in(session, reservation)
        session.commit()


def guarded(keys: Iterable[tuple[str, str | None]], attempt: Callable):
    """Run ``attempt()`` holding one failure hit on each key: refused (429) when a key has
    no quota left; the hits stay counted when it fails (a ``DomainError`` with a failure
    status) and are given back otherwise."""
    if not _enabled():
        return attempt()
    keys = list(keys)
    _refuse_a_flood_first(keys)
    reservation = reserve(keys)
    try:
        result = attempt()
    except DomainError as error:
        if error.status not in FAILURE_STATUSES:
            db.session.rollback()
            give_back(reservation)
        raise
    give_back(reservation)
    return result


def counts(keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], int]:
    """The current window's count of each (limit, value), in one statement."""
    wanted = [(name, value) for name, value in dict.fromkeys(keys) if value]
    if not wanted:
        return {}
    return dict(zip(wanted, _read_taken(db.session, _taken(wanted)), strict=True))


def _retry_after(name: str) -> int:
    _, seconds = _limit(name)
    return seconds - int(time.time()) % seconds


def refuse_over_quota(keys: Iterable[tuple[str, str | None]]) -> None:
    """Refuse (429) when any (limit, value) already used its quota: one read for all. A
    fast refusal only; what lets a request through is the counting upsert (``reserve``,
    ``counted_with_outcome``)."""
    taken = _taken(keys)
    if taken:
        refuse_counted(taken, _read_taken(db.session, taken))


def _refuse_a_flood_first(keys: list[tuple[str, str | None]]) -> None:
    """On SQLite, one read refuses a flood before it queues for the single writer (reads run
    beside it). PostgreSQL has no such queue: the counting upsert of ``reserve`` refuses as
    well, in one round trip where the read and the upsert took two transactions."""
    if db.session.get_bind().dialect.name == "sqlite":
        refuse_over_quota(keys)


def record_failures(keys: Iterable[tuple[str, str | None]]) -> None:
    """Count failures after the fact (no hit was reserved for them)."""
    db.session.rollback()  # the refused request wrote nothing; free the SQLite write lock
    for name, value in keys:
        if value:
            hit(name, value)


_DEFERRED = "rate_limit_deferred"
_WITH_THE_WRITE = "rate_limit_with_the_write"


@contextmanager
def attempts_counted_with(session):
    """Settle the request's counters inside its logged write (``signing.common``), in a
    transaction that commits anyway instead of one of its own: the attempts of a request
    counted with its outcome (``counted_with_outcome``) are counted here, and refused (429,
    the write rolled back) when one comes back over its limit; the failure hits a
    ``rate_limited`` request holds are given back. When the write fails they are settled
    after the view, like those of a request that never reaches a write."""
    pending = session.info.pop(_DEFERRED, None)
    if pending is not None:
        _give_back_in(session, pending)
    unchecked = session.info.pop(_UNCHECKED, None)
    if unchecked:
        refuse_counted(unchecked, _read_taken(session, unchecked))
    attempts = session.info.pop(_WITH_THE_WRITE, None)
    if attempts is not None and attempts.taken:
        _refuse_over(attempts.taken, _increment_taken(session, attempts.taken))
    try:
        yield
    except BaseException:
        if pending is not None:
            session.info[_DEFERRED] = pending
        if attempts is not None:
            session.info[_WITH_THE_WRITE] = attempts
        raise


_UNCHECKED = "rate_limit_unchecked"


def quota_to_check(session) -> list[tuple[str, str, int]] | None:
    """The (limit name, counter key, window) the request has still to check against its
    limits, for a view to read with its own first statement (the sign-in reads them with
    its slot and phone: one round trip fewer), then to judge with ``refuse_counted``.
    Taken: once asked, the view checks them. None when there is nothing left to check."""
    return session.info.pop(_UNCHECKED, None) or None


def refuse_counted(taken: list[tuple[str, str, int]], hits: Iterable[int | None]) -> None:
    """429 when a counter read for ``taken`` (its current window's hits, None: no hit yet)
    already reached its limit."""
    for (name, _key_taken, _window_taken), count in zip(taken, hits, strict=True):
        if (count or 0) >= _limit(name)[0]:
            raise TooManyRequests(_retry_after(name))


def _read_taken(session, taken: list[tuple[str, str, int]]) -> list[int]:
    """The current hits of each counter of ``taken``, in one statement."""
    statement = _counts_statement(len(taken))
    rows = statement.rows(session, {f"k{i}": key for i, (_, key, _) in enumerate(taken)})
    found = {(key, window): hits for key, window, hits in rows}
    return [found.get((key, window), 0) for _, key, window in taken]


def _taken(keys: Iterable[tuple[str, str | None]]) -> list[tuple[str, str, int]]:
    return [(name, _key(name, value), _window(name)) for name, value in keys if value]


def _increment_taken(session, taken: list[tuple[str, str, int]]) -> dict[str, int]:
    return _increment_keys(session, [(key, window) for _, key, window in taken])


def _refuse_over(taken: list[tuple[str, str, int]], hits: dict[str, int]) -> None:
    """429 when a count taken under its row lock is over its limit: the decision of
    parallel requests is on counts none of them share, so a burst gets exactly the limit."""
    for name, key, _window_taken in taken:
        if hits[key] > _limit(name)[0]:
            raise TooManyRequests(_retry_after(name))


def _count_after(session, taken: list[tuple[str, str, int]], refuse: bool = True) -> None:
    """Count a request that wrote nothing (refused, or answered without a logged write), in
    a transaction of its own, and refuse it (``refuse``: 429) when a count comes back over
    its limit: what it would have answered is not told past the quota. A request that
    succeeded is not refused after its work is committed: the next one is, by the read."""
    if not taken:
        return
    session.commit()  # end the read snapshot (the request's work was rolled back)
    with sqlite_writer(session):
        try:
            hits = _increment_taken(session, taken)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    if refuse:
        _refuse_over(taken, hits)


def _not_counted_yet(session) -> list[tuple[str, str, int]]:
    """After the view: the attempts its logged write did not count (all of them when it
    made none, or failed), its limits no longer to be checked by a write."""
    session.info.pop(_UNCHECKED, None)
    left = session.info.pop(_WITH_THE_WRITE, None)
    return left.taken if left else []


def _failed(error: BaseException) -> bool:
    status = getattr(error, "status", None) or getattr(error, "code", None)
    return isinstance(error, DomainError | HTTPException) and status in FAILURE_STATUSES


def counted_with_outcome(attempts: Keys, failures: Keys):
    """Wrap a view whose success makes a logged write (the sign-ins). One read refuses
    (429) a client already at a limit: on SQLite before the view, so a flood never queues
    for the single writer; on PostgreSQL with the view's own first statement when it asks
    (``quota_to_check``), else inside its write. The attempt is then counted inside the
    view's logged write, and a refused request (a failure status) counts its attempt and
    its failure after its rollback. The decision is on counts returned by the counting
    upserts, so a burst gets exactly the limit through as with ``rate_limited``, at the
    cost of the write's own transaction instead of one more: a sign-in makes one write
    transaction, which on SQLite is one turn at the single writer's gate instead of two."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _enabled():
                return view(*args, **kwargs)
            attempts_taken, failures_taken = _taken(attempts()), _taken(failures())
            session = db.session
            every = attempts_taken + failures_taken
            if session.get_bind().dialect.name != "sqlite":
                session.info[_UNCHECKED] = every
            elif every:
                refuse_counted(every, _read_taken(session, every))
            session.info[_WITH_THE_WRITE] = Reservation(attempts_taken)
            try:
                response = make_response(view(*args, **kwargs))
            except TooManyRequests:
                session.rollback()
                _not_counted_yet(session)  # a refused request counts nothing
                raise
            except BaseException as error:
                session.rollback()
                failed = failures_taken if _failed(error) else []
                _count_after(session, _not_counted_yet(session) + failed)
                raise
            failed = failures_taken if response.status_code in FAILURE_STATUSES else []
            taken = _not_counted_yet(session) + failed
            if taken:
                refused = response.status_code >= 400
                if refused:
                    session.rollback()
                _count_after(session, taken, refuse=refused)
            return response

        return wrapper

    return decorator


def rate_limited(attempts: Keys | None = None, failures: Keys | None = None):
    """Wrap a view: take one hit on each of its ``attempts()`` and ``failures()`` keys
    before it runs (refused with a 429 when a key has no quota left); when the view does
    not refuse the request, its failure hits are given back (with the view's logged write
    when it makes one)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _enabled():
                return view(*args, **kwargs)
            attempt_keys = [(n, v) for n, v in (attempts() if attempts else ()) if v]
            failure_keys = [(n, v) for n, v in (failures() if failures else ()) if v]
            _refuse_a_flood_first(attempt_keys + failure_keys)
            held = reserve(attempt_keys + failure_keys).only(n for n, _ in failure_keys)
            session = db.session
            session.info[_DEFERRED] = held
            try:
                response = make_response(view(*args, **kwargs))
            except BaseException as error:
                session.rollback()
                status = getattr(error, "status", None) or getattr(error, "code", None)
                failed = isinstance(error, DomainError | HTTPException) and (
                    status in FAILURE_STATUSES
                )
                _settle(session, held, failed)
                raise
            _settle(session, held, response.status_code in FAILURE_STATUSES)
            return response

        return wrapper

    return decorator


def _settle(session, held: Reservation, failed: bool) -> None:
    """A refused request keeps its failure hits; any other gives them back, unless its
    logged write already did. (A write that gave them back and a refusal after it: the
    failure is counted again.)"""
    pending = session.info.pop(_DEFERRED, None)
    if failed and pending is None and held.taken:
        session.commit()
        with sqlite_writer(session):
            _increment_keys(session, [(key, _window(name)) for name, key, _ in held.taken])
            session.commit()
    elif not failed and pending is not None:
        give_back(pending)


def reserve_one(name: str, value: str) -> int:
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


def release_one(name: str, value: str) -> None:
    """Give back a try taken with ``reserve_one`` that turned out not to count (the password was
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
