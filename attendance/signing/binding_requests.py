"""A first-time phone in the room is never a dead end: the trainee picks their name from
the slot's list, the trainer approves from the roster (one tap), and the phone is bound
exactly as an invitation binds it (``devices.bind_phone``: the one binding rule).

What vouches for the phone is the slot code it was opened with (someone in the room, while
the slot's window is open) and the trainer who sees the person asking. The phone holds a
random secret in an HttpOnly cookie; only its SHA-256 is stored, so the request can be
answered to that phone and no other. One pending request per phone and slot; requests are
made and decided only while the slot's sign-in window is open.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attendance.errors import Conflict, DomainError, Forbidden, NotFound
from attendance.models import Device, DeviceBindingRequest, Slot, Trainee, User
from attendance.models.types import utcnow
from attendance.signing import devices, room_codes, tokens
from attendance.signing.common import (
    can_run_slot,
    expected_trainees,
    is_expected,
    logged_write,
)
from attendance.signing.statements import SlotContext
from attendance.signing.window import require_inside, signin_window

BINDING_COOKIE = "attendance_binding"
UNBOUND_PHONE = ("DEVICE_UNKNOWN", "DEVICE_NOT_BOUND")
# Phones waiting under one name in one slot: the trainee's own, perhaps a second try after
# clearing the browser; more is someone flooding the trainer's roster with one name.
MAX_PENDING_PER_NAME = 3


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def picking_ticket(session: Session, slot: Slot, qr_jti: str, now: datetime | None = None) -> str:
    """The « C'est moi » page's own ticket, valid until the slot's window closes: the slot
    code rotates every few seconds, the trainee may take a minute to find their name."""
    now = now or utcnow()
    token, _ = tokens.issue(
        session,
        tokens.BINDING,
        {"slot": slot.id, "org": slot.organisation_id, "qr": qr_jti},
        signin_window(slot).closes,
        now=now,
    )
    return token


def _slot_of(session: Session, claims: dict, now: datetime) -> Slot:
    slot = session.get(Slot, claims.get("slot"))
    if slot is None or slot.organisation_id != claims.get("org"):
        raise NotFound("séance")
    require_inside(slot, now)
    return slot


def open_scanned(session: Session, code: str, now: datetime | None = None) -> tuple[Slot, str]:
    """A projected slot code opened on a phone that is not bound: the slot, and the code's
    ``jti`` that its « C'est moi » page will name."""
    now = now or utcnow()
    claims = room_codes.verify_compact(session, code, now)
    return _slot_of(session, claims, now), claims["jti"]


def open_typed(
    session: Session, typed: str | None, now: datetime | None = None
) -> tuple[Slot, str]:
    """The short code typed on a phone that is not bound: looked up among every
    organisation's open slots, since the phone names none."""
    now = now or utcnow()
    claims = room_codes.find_short(session, typed, now)
    return _slot_of(session, claims, now), claims["jti"]


def open_ticket(session: Session, ticket: str, now: datetime | None = None) -> tuple[Slot, dict]:
    """The slot of a « C'est moi » page, refused once its sign-in window has closed."""
    now = now or utcnow()
    _, claims = tokens.verify(session, ticket, tokens.BINDING)
    return _slot_of(session, claims, now), claims


@dataclass(frozen=True)
class Choice:
    """A name on the « C'est moi » list: the name and nothing else of the trainee."""

    trainee_id: int
    name: str


def choices(session: Session, slot: Slot) -> list[Choice]:
    return [
        Choice(trainee.id, f"{trainee.first_name} {trainee.last_name}")
        for trainee in expected_trainees(session, slot)
    ]


def find_by_secret(session: Session, secret: str | None) -> DeviceBindingRequest | None:
    if not secret:
        return None
    return session.scalar(
        select(DeviceBindingRequest).where(DeviceBindingRequest.secret_hash == _hash(secret))
    )


def waiting(session: Session, secret: str | None) -> DeviceBindingRequest:
    """The request this phone's cookie names."""
    found = find_by_secret(session, secret)
    if found is None:
        raise DomainError(
            "BINDING_REQUEST_UNKNOWN",
            "Aucune demande d'enregistrement en cours sur ce téléphone : scannez le QR code "
            "affiché par le formateur.",
            status=404,
        )
    return found


def request_binding(
    session: Session,
    ticket: str,
    trainee_id: int,
    secret: str | None,
    credential: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> tuple[DeviceBindingRequest, str]:
    """« C'est moi »: a pending request for this phone, returned with the secret its cookie
    keeps. The phone's pending request for this slot is returned again rather than doubled;
    asking for another name while one waits is refused."""
    now = now or utcnow()
    slot, claims = open_ticket(session, ticket, now)
    waiting = find_by_secret(session, secret)
    if waiting is not None and waiting.slot_id == slot.id and waiting.status == "pending":
        if waiting.trainee_id != trainee_id:
            raise Conflict(
                "BINDING_REQUEST_PENDING",
                "Ce téléphone a déjà une demande en attente pour cette séance : attendez la "
                "réponse du formateur.",
                {"binding_request_id": waiting.id},
            )
        return waiting, secret
    trainee = session.get(Trainee, trainee_id)
    if (
        trainee is None
        or trainee.organisation_id != slot.organisation_id
        or not is_expected(session, SlotContext.of(slot), trainee_id)
    ):
        raise DomainError(
            "NOT_ENROLLED",
            "Ce nom n'est pas sur la liste de cette séance : choisissez le vôtre dans la liste.",
            {"slot_id": slot.id},
            status=422,
        )
    _refuse_a_flood(session, slot.id, trainee_id)
    secret = secrets.token_urlsafe(32)
    request = DeviceBindingRequest(
        organisation_id=slot.organisation_id,
        slot_id=slot.id,
        trainee_id=trainee_id,
        secret_hash=_hash(secret),
        phone_id=devices.phone_id_from(session, credential) or secrets.token_hex(16),
        qr_jti=str(claims.get("qr", ""))[:64],
        user_agent=(user_agent or "")[:500],
        status="pending",
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request, secret


def _refuse_a_flood(session: Session, slot_id: int, trainee_id: int) -> None:
    waiting = session.scalar(
        select(func.count()).where(
            DeviceBindingRequest.slot_id == slot_id,
            DeviceBindingRequest.trainee_id == trainee_id,
            DeviceBindingRequest.status == "pending",
        )
    )
    if waiting >= MAX_PENDING_PER_NAME:
        raise Conflict(
            "BINDING_REQUESTS_TOO_MANY",
            "Trop de téléphones attendent déjà sous ce nom : voyez le formateur, ou signez "
            "sur la borne de la salle.",
            {"pending": waiting},
        )


@dataclass(frozen=True)
class Claimed:
    """An approved request answered to its phone: the credential of the bound phone and,
    while the slot can still be signed, the sign page's ticket."""

    device: Device
    credential: str
    slot_id: int
    signin_ticket: str | None


def claim(
    session: Session, request: DeviceBindingRequest, now: datetime | None = None
) -> Claimed | None:
    """The phone asks again: None while pending; refused if the trainer refused or the
    phone has been unbound since. The sign page's ticket names the slot code the request
    was made with, as a ticket opened from that code would."""
    now = now or utcnow()
    if request.status == "pending":
        return None
    if request.status == "refused":
        raise refused_error()
    device = session.get(Device, request.device_id)
    if device is None or device.revoked_at is not None:
        raise DomainError(
            "DEVICE_NOT_BOUND",
            "Ce téléphone n'est plus lié à votre compte : scannez de nouveau le QR code "
            "de la séance.",
            status=403,
        )
    slot = session.get(Slot, request.slot_id)
    ticket = None
    if signin_window(slot).contains(now):
        ticket, _ = tokens.issue(
            session,
            tokens.SIGNIN_TICKET,
            {
                "slot": slot.id,
                "org": slot.organisation_id,
                "device": device.public_id,
                "qr": request.qr_jti,
            },
            max(slot.ends_at, now) + timedelta(minutes=10),
            now=now,
        )
    return Claimed(device, devices.issue_credential(session, device, now), slot.id, ticket)


def refused_error() -> DomainError:
    return DomainError(
        "BINDING_REQUEST_REFUSED",
        "Le formateur n'a pas validé cette demande : signez sur la borne de la salle ou "
        "voyez le formateur.",
        status=403,
    )


@dataclass(frozen=True)
class PendingBinding:
    """A request on the trainer's roster: who asked, when, from which phone, and the phone
    already bound that approving would replace."""

    id: int
    trainee_id: int
    trainee_name: str
    created_at: datetime
    phone: str
    replaces_phone_bound_at: datetime | None


def pending_for_slot(session: Session, slot: Slot) -> list[PendingBinding]:
    rows = session.execute(
        select(DeviceBindingRequest, Trainee)
        .join(Trainee, Trainee.id == DeviceBindingRequest.trainee_id)
        .where(
            DeviceBindingRequest.slot_id == slot.id,
            DeviceBindingRequest.organisation_id == slot.organisation_id,
            DeviceBindingRequest.status == "pending",
        )
        .order_by(DeviceBindingRequest.created_at, DeviceBindingRequest.id)
    ).all()
    bound = dict(
        session.execute(
            select(Device.trainee_id, Device.bound_at).where(
                Device.trainee_id.in_([trainee.id for _, trainee in rows]),
                Device.revoked_at.is_(None),
            )
        ).all()
    )
    return [
        PendingBinding(
            request.id,
            trainee.id,
            trainee.display_name,
            request.created_at,
            devices.describe_user_agent(request.user_agent),
            bound.get(trainee.id),
        )
        for request, trainee in rows
    ]


def _pending(session: Session, slot: Slot, request_id: int, user: User) -> DeviceBindingRequest:
    """A request still waiting, on a slot ``user`` runs."""
    if not can_run_slot(user, slot):
        raise Forbidden("Seul le formateur de la séance (ou un administrateur) peut faire cela.")
    request = session.get(DeviceBindingRequest, request_id)
    if request is None or request.slot_id != slot.id:
        raise NotFound("demande d'enregistrement")
    if request.status != "pending":
        raise Conflict(
            "BINDING_REQUEST_DECIDED",
            "Cette demande a déjà reçu une réponse.",
            {"status": request.status},
        )
    return request


def approve(
    session: Session, slot: Slot, request_id: int, user: User, now: datetime | None = None
) -> DeviceBindingRequest:
    """The trainer vouches for the phone in the room: bound like an invitation-bound phone
    (the trainee's other phone revoked), logged as ``device_bound`` with the request, the
    slot and the approver. The trainee's other pending requests on this slot are refused:
    one phone wins."""
    now = now or utcnow()
    request = _pending(session, slot, request_id, user)
    require_inside(slot, now)
    org_id, trainee_id = request.organisation_id, request.trainee_id
    phone_id, user_agent = request.phone_id, request.user_agent

    def write() -> DeviceBindingRequest:
        decided = session.execute(
            update(DeviceBindingRequest)
            .where(DeviceBindingRequest.id == request_id, DeviceBindingRequest.status == "pending")
            .values(status="approved", decided_by_id=user.id, decided_at=now)
        ).rowcount
        if not decided:  # two taps, or the API and the page at once
            raise Conflict("BINDING_REQUEST_DECIDED", "Cette demande a déjà reçu une réponse.")
        vouched = {"binding_request_id": request_id, "slot_id": slot.id, "approved_by": user.id}
        device = devices.bind_phone(session, org_id, trainee_id, phone_id, user_agent, now, vouched)
        session.execute(
            update(DeviceBindingRequest)
            .where(DeviceBindingRequest.id == request_id)
            .values(device_id=device.id)
        )
        _decide_others(session, slot.id, trainee_id, request_id, user, now)
        return session.get(DeviceBindingRequest, request_id, populate_existing=True)

    return logged_write(session, org_id, None, write)


def _decide_others(session, slot_id, trainee_id, request_id, user, now) -> None:
    session.execute(
        update(DeviceBindingRequest)
        .where(
            DeviceBindingRequest.slot_id == slot_id,
            DeviceBindingRequest.trainee_id == trainee_id,
            DeviceBindingRequest.id != request_id,
            DeviceBindingRequest.status == "pending",
        )
        .values(status="refused", decided_by_id=user.id, decided_at=now)
    )


def refuse(
    session: Session, slot: Slot, request_id: int, user: User, now: datetime | None = None
) -> DeviceBindingRequest:
    """Not this person, or not this phone: the phone is told to use the kiosk."""
    request = _pending(session, slot, request_id, user)
    request.status = "refused"
    request.decided_by_id = user.id
    request.decided_at = now or utcnow()
    session.flush()
    return request
