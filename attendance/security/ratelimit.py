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
from functools import wraps

from flask import current_app, make_response, request
from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import HTTPException

from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import RateLimitCounter

DEFAULT_LIMITS = {
    # Failed logins per account and per IP address (brute force, password spraying).
    "login_account_failures": (10, 15 * 60),
    "login_ip_failures": (50, 15 * 60),
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


def _upsert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert(RateLimitCounter)


def hit(name: str, value: str) -> int:
    """Count one more hit of ``value`` under limit ``name`` and commit; returns the count.

    Called before the view's own work or after its rollback, so the commit carries nothing
    else. It goes through the request's session, not a second connection: on SQLite a second
    writer would make the session's later upgrade to a write fail (stale WAL snapshot)."""
    _, seconds = _limit(name)
    window = int(time.time()) // seconds
    table = RateLimitCounter.__table__
    session = db.session
    session.commit()  # end any read snapshot before writing
    insert = _upsert(session.get_bind().dialect.name).values(
        key=_key(name, value), window=window, hits=1
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case((table.c.window == window, table.c.hits + 1), else_=1),
            "window": window,
        },
    ).returning(table.c.hits)
    hits = session.execute(statement).scalar_one()
    session.commit()
    return hits


def count(name: str, value: str) -> int:
    _, seconds = _limit(name)
    window = int(time.time()) // seconds
    hits = db.session.scalar(
        db.select(RateLimitCounter.hits).where(
            RateLimitCounter.key == _key(name, value), RateLimitCounter.window == window
        )
    )
    return hits or 0


def _retry_after(name: str) -> int:
    _, seconds = _limit(name)
    return seconds - int(time.time()) % seconds


def check(name: str, value: str | None) -> None:
    """Refuse (429) when ``value`` already used its quota under ``name``."""
    if value and count(name, value) >= _limit(name)[0]:
        raise TooManyRequests(_retry_after(name))


def attempt(name: str, value: str | None) -> None:
    """Count this request and refuse (429) once the quota is passed."""
    if value and hit(name, value) > _limit(name)[0]:
        raise TooManyRequests(_retry_after(name))


def record_failures(keys: Iterable[tuple[str, str | None]]) -> None:
    db.session.rollback()  # the refused request wrote nothing; free the SQLite write lock
    for name, value in keys:
        if value:
            hit(name, value)


def rate_limited(attempts: Keys | None = None, failures: Keys | None = None):
    """Wrap a view: count ``attempts()`` keys before it runs, refuse when ``failures()``
    keys are over quota, and count them when the view refuses the request."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _enabled():
                return view(*args, **kwargs)
            for name, value in attempts() if attempts else ():
                attempt(name, value)
            failure_keys = list(failures()) if failures else []
            for name, value in failure_keys:
                check(name, value)
            try:
                response = make_response(view(*args, **kwargs))
            except (DomainError, HTTPException) as error:
                status = getattr(error, "status", None) or getattr(error, "code", None)
                if status in FAILURE_STATUSES:
                    record_failures(failure_keys)
                raise
            if response.status_code in FAILURE_STATUSES:
                record_failures(failure_keys)
            return response

        return wrapper

    return decorator


def login_keys(email: str | None) -> list[tuple[str, str | None]]:
    account = email.strip().lower() if isinstance(email, str) else None
    return [("login_account_failures", account), ("login_ip_failures", client_ip())]


def login_guarded(authenticate: Callable, email: str | None):
    """Brute force and password spraying: refuse once the account or the IP address has
    too many failed logins in the window; count each failure. The API and the login page
    both go through here."""
    if not _enabled():
        return authenticate()
    keys = login_keys(email)
    for name, value in keys:
        check(name, value)
    try:
        return authenticate()
    except DomainError as error:
        if error.status in FAILURE_STATUSES:
            record_failures(keys)
        raise


def signin_attempt_keys() -> list[tuple[str, str | None]]:
    """One quota per signing credential: the phone's device cookie, the kiosk's cookie, or
    the link/tutor token of the body; the IP address when none is given."""
    from attendance.signing.devices import DEVICE_COOKIE
    from attendance.signing.kiosk import KIOSK_COOKIE

    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    credential = (
        request.cookies.get(KIOSK_COOKIE) if request.path.endswith("/kiosk") else None
    ) or request.cookies.get(DEVICE_COOKIE)
    if not credential and isinstance(token, str):
        credential = token
    return [("signin_client_attempts", credential or f"ip:{client_ip()}")]


def signin_failure_keys() -> list[tuple[str, str | None]]:
    return [("signin_ip_failures", client_ip())]


def invitation_attempt_keys() -> list[tuple[str, str | None]]:
    return [("invitation_ip_attempts", client_ip())]


def invitation_failure_keys() -> list[tuple[str, str | None]]:
    return [("invitation_ip_failures", client_ip())]


signin_limited = rate_limited(attempts=signin_attempt_keys, failures=signin_failure_keys)
signin_page_limited = rate_limited(failures=signin_failure_keys)


def client_ip() -> str:
    """The caller's address; behind a load balancer, ProxyFix (``TRUSTED_PROXIES``) has
    already put the client's address here."""
    return request.remote_addr or "unknown"
