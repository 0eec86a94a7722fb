"""Abuse limits of the public signing endpoints: one quota per signing credential (the
phone's or the kiosk's cookie, the link or tutor token), refusals per address."""

from flask import request

from attendance.security.ratelimit import client_ip, rate_limited
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.kiosk import KIOSK_COOKIE
from attendance.sql import queues_its_writes


def signin_attempt_keys() -> list[tuple[str, str | None]]:
    """One quota per signing credential: the phone's device cookie, the kiosk's cookie, or
    the link/tutor token of the body; the IP address when none is given."""
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


_signin_quotas = rate_limited(attempts=signin_attempt_keys, failures=signin_failure_keys)


def signin_limited(view):
    """A sign-in endpoint: its quotas, and its writes queued one by one (logged writes,
    counters), not the whole request."""
    return queues_its_writes(_signin_quotas(view))


signin_page_limited = rate_limited(failures=signin_failure_keys)
