"""Password tries: a lockout that punishes the guesser's device more than the victim's
account, with a cool-down told in French (no CAPTCHA).

Each try is counted against three limits (``RATE_LIMITS``), in this order:

- ``login_device_failures``: one account from one IP address (5 per 15 min). The guesser
  waits; the real user, on their own device, does not notice;
- ``login_ip_failures``: every account from one address (password spraying);
- ``login_account_failures``: one account from everywhere (50 per hour), slower, so a guess
  spread over many addresses is still slowed.

A try is taken from each count before the password is checked and given back when the
password was right, so a burst of parallel requests gets no more tries than the quota.
"""

from collections.abc import Callable
from typing import TypeVar

from attendance.errors import Unauthorized
from attendance.extensions import db
from attendance.security.ratelimit import TooManyRequests, client_ip, release_one, reserve_one

T = TypeVar("T")

WHERE = {
    "login_device_failures": "depuis cet appareil",
    "login_ip_failures": "depuis cette adresse réseau",
    "login_account_failures": "sur ce compte",
}


class LoginCoolDown(TooManyRequests):
    """429 with the wait in minutes; the code stays ``TOO_MANY_REQUESTS`` for programs."""

    def __init__(self, retry_after: int, limit: str):
        super().__init__(retry_after)
        minutes = max(1, -(-retry_after // 60))
        wait = f"{minutes} minute" + ("s" if minutes > 1 else "")
        self.message = f"Trop de tentatives {WHERE[limit]} : réessayez dans {wait}."
        self.details["limit"] = limit


def _keys(email: str | None) -> list[tuple[str, str]]:
    account = email.strip().lower() if isinstance(email, str) and email.strip() else None
    ip = client_ip()
    keys = [("login_device_failures", f"{account}\n{ip}")] if account else []
    keys.append(("login_ip_failures", ip))
    if account:
        keys.append(("login_account_failures", account))
    return keys


def password_guarded(check: Callable[[], T], email: str | None) -> T:
    """Run ``check`` (which raises ``Unauthorized`` on a wrong password) within the login
    limits of ``email``: refused with ``LoginCoolDown`` when a limit is used up, counted when
    the password was wrong. The login page, the API token and the password page use it."""
    taken: list[tuple[str, str]] = []
    try:
        for name, value in _keys(email):
            wait = reserve_one(name, value)
            if wait:
                raise LoginCoolDown(wait, name)
            taken.append((name, value))
        result = check()
    except Unauthorized:
        raise  # a wrong password: the tries stay counted
    except BaseException:
        db.session.rollback()
        for name, value in taken:
            release_one(name, value)
        raise
    for name, value in taken:
        release_one(name, value)
    return result
