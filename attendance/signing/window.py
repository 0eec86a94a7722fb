"""When a slot can be signed: one window per slot, judged at the server's time.

DOMAIN « What controllers reject »: sheets signed in bulk at the end instead of at each
half-day. A sign-in is accepted only while its slot runs (opening a little early so a room
can sign as it comes in); what happened outside goes through the trainer's marks and
corrections, which this window does not restrict.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app

from attendance.clock import local_day, local_time
from attendance.errors import Conflict


class Timed(Protocol):
    """What the window needs of a slot: a loaded ``Slot`` or a ``SlotContext``."""

    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class SigninWindow:
    opens: datetime
    closes: datetime

    def contains(self, instant: datetime) -> bool:
        return self.opens <= instant <= self.closes


def opening_minutes() -> int:
    return int(current_app.config.get("SIGNIN_OPENING_MINUTES", 30))


def signin_window(slot: Timed) -> SigninWindow:
    """In the room (QR code, kiosk) and at a distance (personal link, live class): from
    ``SIGNIN_OPENING_MINUTES`` (default 30) before the start until the end. Autoformation
    is done at the trainee's pace: from the start until ``AUTOFORMATION_DECLARE_DAYS``
    (default 7) after the end. A company day is confirmed afterwards by the tutor
    (``signins.confirm_company_day`` keeps its own rule)."""
    if slot.kind == "autoformation":
        days = int(current_app.config.get("AUTOFORMATION_DECLARE_DAYS", 7))
        return SigninWindow(slot.starts_at, slot.ends_at + timedelta(days=days))
    return SigninWindow(slot.starts_at - timedelta(minutes=opening_minutes()), slot.ends_at)


def _hours(instant: datetime) -> str:
    return f"{local_time(instant):%Hh%M}"


def _day_if_not(instant: datetime, now: datetime) -> str:
    """« le 12/03 » when ``instant`` is on another local day than ``now``, else nothing."""
    if local_day(instant) == local_day(now):
        return ""
    return f"le {local_time(instant):%d/%m}"


def describe(window: SigninWindow) -> str:
    """« du 12/03 à 08h30 jusqu'à 12h30 », the closing day named when it is another day."""
    opens = f"du {local_time(window.opens):%d/%m} à {_hours(window.opens)}"
    if local_day(window.closes) == local_day(window.opens):
        return f"{opens} jusqu'à {_hours(window.closes)}"
    return f"{opens} jusqu'au {local_time(window.closes):%d/%m} à {_hours(window.closes)}"


def outside_window(slot: Timed, window: SigninWindow, now: datetime) -> Conflict:
    """The trainee's refusal: when the slot could be signed, and the way left."""
    early = now < window.opens
    return Conflict(
        "OUTSIDE_SLOT_WINDOW",
        f"Cette séance s'émarge {describe(window)} : il est trop {'tôt' if early else 'tard'}. "
        "Ce qui s'est passé hors de ce créneau passe par une correction du formateur.",
        _details(slot, window, early),
    )


def qr_outside_window(slot: Timed, window: SigninWindow, now: datetime) -> Conflict:
    """The trainer's projector before or after the window: when the code shows, or that
    the missing presences are now noted from the roster."""
    early = now < window.opens
    if early:
        opens = f"à partir de {_hours(window.opens)}"
        day = _day_if_not(window.opens, now)
        message = f"Le QR code s'affichera {f'{day} {opens}' if day else opens}."
    else:
        closes = _hours(window.closes)
        day = _day_if_not(window.closes, now)
        message = (
            f"L'émargement de cette séance est clos depuis "
            f"{f'{day} à {closes}' if day else closes} : le QR code ne s'affiche plus. "
            "Notez les présences manquantes depuis la feuille de présence."
        )
    return Conflict("OUTSIDE_SLOT_WINDOW", message, _details(slot, window, early))


def _details(slot: Timed, window: SigninWindow, early: bool) -> dict:
    return {
        "slot_id": slot.id,
        "opens_at": window.opens.isoformat(),
        "closes_at": window.closes.isoformat(),
        "too": "early" if early else "late",
    }


Refusal = Callable[[Timed, SigninWindow, datetime], Conflict]


def refused_at(slot: Timed, now: datetime, refusal: Refusal = outside_window) -> Conflict | None:
    """The refusal ``now`` falls outside the slot's window, None inside it."""
    window = signin_window(slot)
    return None if window.contains(now) else refusal(slot, window, now)


def require_inside(slot: Timed, now: datetime, refusal: Refusal = outside_window) -> None:
    """Refuse a sign-in (or a slot QR code) outside the slot's window, before anything is
    stored."""
    refused = refused_at(slot, now, refusal)
    if refused is not None:
        raise refused
