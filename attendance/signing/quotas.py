"""Abuse limits of the public signing endpoints: attempts and refusals counted per signing
credential (the phone's or the kiosk's cookie, the link or tutor token), per address only
for requests carrying none. Twenty phones share a classroom's address: counted by address,
one phone sending malformed sign-ins locked the whole room out for ten minutes."""

from flask import request

from attendance.security.ratelimit import client_ip, counted_with_outcome, rate_limited
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.kiosk import KIOSK_COOKIE
from attendance.sql import queues_its_writes


def signin_credential() -> str | None:
    """What a sign-in request signs with: the kiosk's cookie (on the kiosk endpoint), the
    phone's device cookie, or the link/tutor token of the body; None when it carries none.
    Taken as sent, unchecked: the cookie or token is verified by the sign-in itself, and
    everything guessable behind it (a short code, a kiosk PIN) is only tried once it is."""
    credential = (
        request.cookies.get(KIOSK_COOKIE) if request.path.endswith("/kiosk") else None
    ) or request.cookies.get(DEVICE_COOKIE)
    if not credential:
        body = request.get_json(silent=True)
        token = body.get("token") if isinstance(body, dict) else None
        credential = token if isinstance(token, str) else None
    return credential or None


def signin_attempt_keys() -> list[tuple[str, str | None]]:
    """One quota per signing credential; the IP address when none is given."""
    return [("signin_client_attempts", signin_credential() or f"ip:{client_ip()}")]


def signin_failure_keys() -> list[tuple[str, str | None]]:
    """Refusals per signing credential too, so a broken phone behind a classroom's router
    stops itself, not the room. The address counts only requests that carry no credential
    at all, under a limit of its own: a flood of those leaves the phones' counts alone."""
    credential = signin_credential()
    if not credential:
        return [("signin_ip_failures", client_ip())]
    if request.cookies.get(KIOSK_COOKIE) == credential and request.path.endswith("/kiosk"):
        # The room's shared tablet: a budget the size of the room's (a wrong PIN also locks
        # that trainee's PIN after a few tries, ``kiosk``).
        return [("signin_kiosk_failures", credential)]
    return [("signin_client_failures", credential)]


def invitation_attempt_keys() -> list[tuple[str, str | None]]:
    return [("invitation_ip_attempts", client_ip())]


def invitation_failure_keys() -> list[tuple[str, str | None]]:
    return [("invitation_ip_failures", client_ip())]


_signin_quotas = counted_with_outcome(attempts=signin_attempt_keys, failures=signin_failure_keys)


def signin_limited(view):
    """A sign-in endpoint: its quotas, counted with its outcome (its attempt inside its
    logged write, a refusal after its rollback), and its writes queued one by one (logged
    writes, counters), not the whole request."""
    return queues_its_writes(_signin_quotas(view))


signin_page_limited = rate_limited(failures=signin_failure_keys)
