"""Signing in: from a phone scanning the slot's rotating QR code, through a personal link
(distance and autoformation slots), and by the company tutor.

The slot QR token is shared by the whole room, so its ``jti`` identifies the code in the
evidence, it is not single-use; what makes a sign-in unique is (slot, trainee), enforced by
the database. Opening the QR code on a bound phone gives a ticket for *that* phone, valid
until the slot ends, so a trainee who takes a minute to sign, or closes the page and comes
back, can still sign; the same page forwarded to another phone is a replay.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import DomainError, NotFound
from attendance.models import Device, Emargement, Invitation, Slot, Trainee
from attendance.models.types import utcnow
from attendance.security import ratelimit
from attendance.signing import room_codes, tokens
from attendance.signing.common import (
    Client,
    enrolment_of,
    late_minutes,
    record_signin,
    refuse_if_validated,
    require_enrolled,
)
from attendance.signing.devices import (
    check_bound,
    credential_claims,
    device_from_credential,
    open_invitation,
)
from attendance.signing.room_codes import ShownCode
from attendance.signing.signature import decode_signature
from attendance.signing.statements import (
    Phone,
    PhoneContext,
    SignedRow,
    SlotContext,
    read_phone_context,
)
from attendance.signing.window import qr_outside_window, require_inside, signin_window

# A personal link stays readable a day after its slot's window closes, so a trainee opening
# it late is told when the slot could be signed, not only that the link expired.
LINK_KEPT_AFTER_CLOSE = timedelta(days=1)


def qr_rotation_seconds() -> int:
    return room_codes.rotation_seconds()


def shown_slot_code(session: Session, slot: Slot, now: datetime | None = None) -> ShownCode:
    """The projector's codes now (the QR's compact code and the short code under it), each
    accepted for one rotation plus a short grace (default 15 s + 10 s). Shown only inside
    the slot's sign-in window: a code photographed ahead of time would otherwise sign a
    slot days before it runs."""
    now = now or utcnow()
    require_inside(slot, now, refusal=qr_outside_window)
    return room_codes.shown_code(session, slot, now)


def issue_slot_qr(
    session: Session, slot: Slot, now: datetime | None = None
) -> tuple[str, datetime]:
    """The QR's compact code shown now and when it stops being accepted."""
    shown = shown_slot_code(session, slot, now)
    return shown.code, shown.expires_at


def _other_slot(slot_id: int) -> DomainError:
    return DomainError(
        "TOKEN_OTHER_SLOT",
        "Ce code appartient à une autre séance : scannez le QR code de la séance en cours.",
        {"slot_id": slot_id},
        status=400,
    )


def _slot_for(session: Session, claims: dict, slot_id: int | None = None) -> Slot:
    if slot_id is not None and claims.get("slot") != slot_id:
        raise _other_slot(slot_id)
    slot = session.get(Slot, claims.get("slot"))
    if slot is None:
        raise NotFound("séance")
    if slot.organisation_id != claims.get("org"):
        raise _other_organisation()
    return slot


def _other_organisation() -> DomainError:
    return DomainError(
        "TOKEN_OTHER_ORGANISATION",
        "Ce code appartient à un autre organisme de formation que votre inscription : "
        "scannez le code de votre séance.",
        status=403,
    )


def _phone_evidence(client: Client, phone_id: str | None, **extra) -> dict:
    return {**client.evidence(), "phone_id": phone_id, **extra}


def open_slot_code(
    session: Session,
    token: str,
    credential: str | None,
    slot_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Slot, Device, str]:
    """A scanned QR code opened on a phone: the slot, the phone, and a ticket for the page;
    refused outside the slot's sign-in window."""
    now = now or utcnow()
    kind, claims, context, phone = _scanned_code(session, token, credential, slot_id, now)
    require_inside(context.slot, now)
    slot = session.get(Slot, context.slot.id)
    device = session.scalar(select(Device).where(Device.public_id == phone.public_id))
    if kind is tokens.SIGNIN_TICKET:
        return slot, device, token
    enrolment_of(session, context.slot, phone.trainee_id, context.enrolment)
    expires_at = max(slot.ends_at, now) + timedelta(minutes=10)
    ticket, _ = tokens.issue(
        session,
        tokens.SIGNIN_TICKET,
        {
            "slot": slot.id,
            "org": slot.organisation_id,
            "device": device.public_id,
            "qr": claims["jti"],
        },
        expires_at,
        now=now,
    )
    return slot, device, ticket


def _check_ticket_device(claims: dict, phone: Phone) -> None:
    if claims.get("device") != phone.public_id:
        raise DomainError(
            "TOKEN_REPLAYED",
            "Cette page d'émargement a été ouverte sur un autre téléphone : scannez vous-même "
            "le QR code affiché par le formateur.",
            status=403,
        )


def open_typed_code(
    session: Session, typed: str | None, credential: str | None, now: datetime | None = None
) -> tuple[Slot, Device, str]:
    """The short code typed on the phone's home page: like scanning the QR code it stands
    under. It is looked up among the slots open now of the phone's organisation, so the
    phone must be bound first."""
    now = now or utcnow()
    organisation_id = credential_claims(session, credential).get("org")
    claims = room_codes.find_short(session, typed, now, organisation_id)
    return open_slot_code(session, claims["jti"], credential, claims["slot"], now)


def _code_claims(session: Session, token: str, now: datetime) -> tuple[tokens.TokenKind, dict]:
    """A projected slot code (compact, no dot) or the page's ticket (a JWT)."""
    if room_codes.looks_compact(token):
        return room_codes.SLOT_CODE, room_codes.verify_compact(session, token, now)
    return tokens.verify(session, token, tokens.SIGNIN_TICKET)


def _scanned_code(
    session: Session,
    token: str,
    credential: str | None,
    slot_id: int | None,
    now: datetime | None = None,
) -> tuple[tokens.TokenKind, dict, PhoneContext, Phone]:
    """The checks of a slot code opened on a phone, in this order: a genuine slot code of
    the current rotation or page ticket, for this slot, of the slot's organisation; a bound
    phone of that organisation; a ticket opened on this very phone. The slot and the phone
    are read in one statement (``statements.read_phone_context``). Returns the token's kind
    and claims, the phone's context and the phone."""
    kind, claims = _code_claims(session, token, now or utcnow())
    if slot_id is not None and claims.get("slot") != slot_id:
        raise _other_slot(slot_id)
    try:
        device_claims, refused = credential_claims(session, credential), None
    except DomainError as error:
        device_claims, refused = {}, error
    quota = ratelimit.quota_to_check(session)
    context = read_phone_context(session, claims.get("slot"), device_claims.get("sub"), quota)
    if context is None:
        raise NotFound("séance")
    if quota:
        ratelimit.refuse_counted(quota, context.quota_hits)
    if context.slot.organisation_id != claims.get("org"):
        raise _other_organisation()
    if refused is not None:
        raise refused
    phone = context.phone
    check_bound(phone, device_claims)
    if phone.organisation_id != context.slot.organisation_id:
        raise _other_organisation()
    if kind is tokens.SIGNIN_TICKET:
        _check_ticket_device(claims, phone)
    return kind, claims, context, phone


def sign_with_phone(
    session: Session,
    slot_id: int,
    token: str,
    signature: str | None,
    credential: str | None,
    client: Client,
) -> SignedRow:
    """QR sign-in: the bound phone's trainee signs the slot named by the code, inside the
    slot's sign-in window at the server's time."""
    _, claims, context, phone = _scanned_code(session, token, credential, slot_id, client.now)
    slot = context.slot
    refuse_if_validated(slot.id, slot.validated_at)
    require_inside(slot, client.now)
    enrolment = enrolment_of(session, slot, phone.trainee_id, context.enrolment)
    png = decode_signature(signature)
    qr_jti = claims.get("qr", claims["jti"])
    values = {
        "status": "present",
        "signed_at": client.now,
        "method": "qr",
        "late_minutes": late_minutes(slot, client.now),
        "signature_png": png,
        "token_jti": qr_jti,
        "ip_address": client.ip,
        "user_agent": (client.user_agent or "")[:500],
        "device_id": phone.public_id,
        "evidence": _phone_evidence(client, phone.phone_id, ticket_jti=claims["jti"]),
    }
    return record_signin(
        session,
        slot,
        phone.trainee_id,
        values,
        {"device_id": phone.public_id, "token_jti": qr_jti},
        enrolment=enrolment,
    )


# --- Personal links: distance (FAD) and autoformation -------------------------------------


def issue_slot_link(session: Session, slot: Slot, trainee: Trainee) -> str:
    if slot.kind not in ("distance", "autoformation"):
        raise DomainError(
            "SLOT_KIND_HAS_NO_LINK",
            "Les liens personnels servent aux séances à distance et d'autoformation ; "
            "en salle, les stagiaires scannent le QR code.",
            {"kind": slot.kind},
        )
    require_enrolled(session, SlotContext.of(slot), trainee.id)
    closes = signin_window(slot).closes
    token, _ = tokens.issue(
        session,
        tokens.SLOT_LINK,
        {"slot": slot.id, "org": slot.organisation_id, "sub": str(trainee.id)},
        closes + LINK_KEPT_AFTER_CLOSE,
    )
    return token


def open_slot_link(
    session: Session, token: str, now: datetime | None = None
) -> tuple[Slot, Trainee]:
    """The slot and trainee of a personal link, refused outside the slot's sign-in window
    (judged on the slot as it is now: a slot moved after the links went out moves them)."""
    _, claims = tokens.verify(session, token, tokens.SLOT_LINK)
    slot = _slot_for(session, claims)
    trainee = session.get(Trainee, int(claims["sub"]))
    if trainee is None or trainee.organisation_id != slot.organisation_id:
        raise _other_organisation()
    require_inside(slot, now or utcnow())
    return slot, trainee


def sign_with_link(
    session: Session,
    token: str,
    signature: str | None,
    client: Client,
    credential: str | None = None,
    declaration: str | None = None,
) -> SignedRow:
    """FAD: records the join time and connection; autoformation: the trainee declares the
    work against the slot's objective and it counts only once the trainer confirms it."""
    slot, trainee = open_slot_link(session, token, client.now)
    context = SlotContext.of(slot)
    refuse_if_validated(slot.id, slot.validated_at)
    _, claims = tokens.verify(session, token, tokens.SLOT_LINK)
    device = None
    if credential:
        try:
            device = device_from_credential(session, credential)
        except DomainError:
            device = None  # a computer without a bound phone: the link alone identifies
    autoformation = slot.kind == "autoformation"
    if autoformation and not (declaration or "").strip():
        raise DomainError(
            "DECLARATION_REQUIRED",
            "Indiquez ce que vous avez travaillé au regard de l'objectif de la séance.",
            status=422,
        )
    png = decode_signature(signature)
    values = {
        "status": "present",
        "signed_at": client.now,
        "method": "link",
        "late_minutes": 0 if autoformation else late_minutes(context, client.now),
        "confirmed": not autoformation,
        "signature_png": png,
        "token_jti": claims["jti"],
        "ip_address": client.ip,
        "user_agent": (client.user_agent or "")[:500],
        "device_id": device.public_id if device else None,
        "evidence": _phone_evidence(
            client,
            device.phone_id if device else None,
            joined_at=client.now.isoformat(),
            online_url=slot.online_url,
            declaration=(declaration or "").strip()[:1000] or None,
        ),
    }
    return record_signin(session, context, trainee.id, values, {"token_jti": claims["jti"]})


# --- Company tutor ----------------------------------------------------------------------


def create_tutor_link(
    session: Session,
    trainee: Trainee,
    tutor_name: str,
    tutor_email: str | None,
    user_id: int | None,
) -> tuple[Invitation, str]:
    """A tutor's personal link to confirm the trainee's company days (default 120 days)."""
    now = utcnow()
    days = int(current_app.config.get("TUTOR_LINK_DAYS", 120))
    jti = secrets.token_urlsafe(16)
    token, _ = tokens.issue(
        session,
        tokens.TUTOR,
        {"org": trainee.organisation_id, "sub": str(trainee.id), "jti": jti},
        now + timedelta(days=days),
        now=now,
    )
    invitation = Invitation(
        organisation_id=trainee.organisation_id,
        trainee_id=trainee.id,
        kind="tutor",
        jti=jti,
        label=tutor_name,
        email=tutor_email,
        created_by_id=user_id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def tutor_days(
    session: Session, token: str, now: datetime | None = None
) -> tuple[Invitation, list[tuple[Slot, Emargement | None]]]:
    """The trainee's company days so far, with what was already confirmed."""
    now = now or utcnow()
    invitation = open_invitation(session, token, kind="tutor")
    slots = session.scalars(
        select(Slot)
        .where(
            Slot.organisation_id == invitation.organisation_id,
            Slot.kind == "company",
            Slot.trainee_id == invitation.trainee_id,
            Slot.starts_at <= now,
        )
        .order_by(Slot.starts_at)
    ).all()
    signed = {
        e.slot_id: e
        for e in session.scalars(
            select(Emargement).where(
                Emargement.trainee_id == invitation.trainee_id,
                Emargement.slot_id.in_([s.id for s in slots]),
            )
        )
    }
    return invitation, [(slot, signed.get(slot.id)) for slot in slots]


def confirm_company_day(
    session: Session, token: str, slot_id: int, present: bool, signature: str | None, client: Client
) -> SignedRow:
    """The tutor confirms one company day (present or absent), with a signature."""
    invitation = open_invitation(session, token, kind="tutor")
    slot = session.get(Slot, slot_id)
    if (
        slot is None
        or slot.organisation_id != invitation.organisation_id
        or slot.kind != "company"
        or slot.trainee_id != invitation.trainee_id
    ):
        raise NotFound("journée en entreprise")
    context = SlotContext.of(slot)
    if slot.starts_at > client.now:
        raise DomainError(
            "DAY_NOT_STARTED",
            "Cette journée n'a pas encore commencé : confirmez-la le jour même ou après.",
            status=422,
        )
    refuse_if_validated(slot.id, slot.validated_at)
    png = decode_signature(signature)
    values = {
        "status": "present" if present else "absent",
        "signed_at": client.now,
        "method": "tutor",
        "signature_png": png,
        "token_jti": invitation.jti,
        "ip_address": client.ip,
        "user_agent": (client.user_agent or "")[:500],
        "evidence": {
            **client.evidence(),
            "tutor_name": invitation.label,
            "tutor_email": invitation.email,
            "invitation_id": invitation.id,
        },
    }
    return record_signin(
        session, context, invitation.trainee_id, values, {"tutor_invitation_id": invitation.id}
    )
