"""Phones bound to trainees.

Staff send an invitation (link and printable QR); opening it on a phone binds that phone
to the trainee with a long-lived device credential kept in an HttpOnly cookie. A new
invitation is the staff action that moves a trainee to a new phone: binding it revokes
the previous phones (DOMAIN "Security notes for sign-in").
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.errors import Conflict, DomainError
from attendance.models import (
    Composante,
    Device,
    DeviceBindingRequest,
    Emargement,
    EvidenceEntry,
    Invitation,
    KioskCredential,
    Organisation,
    Pathway,
    Trainee,
    User,
)
from attendance.models.types import utcnow
from attendance.signing import tokens
from attendance.signing.common import logged_write
from attendance.signing.statements import Phone

DEVICE_COOKIE = "attendance_device"


def create_invitation(
    session: Session,
    org: Organisation,
    trainee: Trainee,
    user: User | None,
    now: datetime | None = None,
    email: str | None = None,
) -> tuple[Invitation, str]:
    """A single-use link binding a phone; ``email`` records where it was sent, if mailed."""
    now = now or utcnow()
    days = int(current_app.config.get("INVITATION_TTL_DAYS", 14))
    expires_at = now + timedelta(days=days)
    jti = secrets.token_urlsafe(16)
    token, _ = tokens.issue(
        session,
        tokens.INVITATION,
        {"org": org.id, "sub": str(trainee.id), "jti": jti},
        expires_at,
        now=now,
    )
    invitation = Invitation(
        organisation_id=org.id,
        trainee_id=trainee.id,
        kind="device",
        jti=jti,
        email=email,
        created_by_id=user.id if user else None,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def open_invitation(session: Session, token: str, kind: str = "device") -> Invitation:
    """The invitation behind a link, if it can still be used."""
    token_kind = tokens.INVITATION if kind == "device" else tokens.TUTOR
    _, claims = tokens.verify(session, token, token_kind)
    invitation = session.scalar(select(Invitation).where(Invitation.jti == claims["jti"]))
    if (
        invitation is None
        or invitation.kind != kind
        or invitation.organisation_id != claims.get("org")
    ):
        raise DomainError(
            "INVITATION_UNKNOWN",
            "Lien d'invitation inconnu : demandez-en un nouveau à l'organisme de formation.",
            status=404,
        )
    if invitation.revoked_at is not None:
        raise Conflict(
            "INVITATION_REVOKED",
            "Ce lien a été annulé par l'organisme de formation : demandez-en un nouveau.",
        )
    if kind == "device" and invitation.used_at is not None:
        raise Conflict(
            "INVITATION_USED",
            "Ce lien d'invitation a déjà servi à enregistrer un "
            "téléphone. Pour changer de téléphone, demandez un nouveau lien.",
        )
    return invitation


def issue_credential(session: Session, device: Device, now: datetime | None = None) -> str:
    now = now or utcnow()
    days = int(current_app.config.get("DEVICE_TTL_DAYS", 400))
    token, _ = tokens.issue(
        session,
        tokens.DEVICE,
        {"org": device.organisation_id, "sub": device.public_id, "phone": device.phone_id},
        now + timedelta(days=days),
        now=now,
    )
    return token


def phone_id_from(session: Session, credential: str | None) -> str | None:
    """The phone id of a credential this browser already holds, even a revoked one."""
    if not credential:
        return None
    try:
        _, claims = tokens.verify(session, credential, tokens.DEVICE)
    except DomainError:
        return None
    return claims.get("phone")


def bind_device(
    session: Session, token: str, user_agent: str | None, current_credential: str | None = None
) -> tuple[Device, str]:
    """Open the invitation on this phone: bind it, revoke the trainee's other phones."""
    invitation = open_invitation(session, token)
    phone_id = phone_id_from(session, current_credential) or secrets.token_hex(16)
    org_id, trainee_id, invitation_id = (
        invitation.organisation_id,
        invitation.trainee_id,
        invitation.id,
    )
    now = utcnow()

    def write() -> Device:
        claimed = session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if not claimed:  # opened twice at the same moment
            raise Conflict("INVITATION_USED", "Ce lien d'invitation a déjà servi.")
        return bind_phone(
            session,
            org_id,
            trainee_id,
            phone_id,
            user_agent,
            now,
            {"invitation_id": invitation_id},
            invitation_id=invitation_id,
        )

    device = logged_write(session, org_id, None, write)
    return device, issue_credential(session, device)


def bind_phone(
    session: Session,
    organisation_id: int,
    trainee_id: int,
    phone_id: str,
    user_agent: str | None,
    now: datetime,
    vouched_by: dict,
    invitation_id: int | None = None,
) -> Device:
    """The binding rule, whoever vouches for the phone (an invitation opened on it, or the
    trainer approving it in the room): one phone per trainee, so binding this one revokes
    the trainee's other phones; logged as ``device_bound`` with what vouched for it. Runs
    inside the caller's ``logged_write`` on the organisation chain."""
    session.execute(
        update(Device)
        .where(Device.trainee_id == trainee_id, Device.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    device = Device(
        organisation_id=organisation_id,
        trainee_id=trainee_id,
        public_id=secrets.token_hex(16),
        phone_id=phone_id,
        invitation_id=invitation_id,
        user_agent=(user_agent or "")[:500],
        bound_at=now,
    )
    session.add(device)
    session.flush()
    evidence.append(
        session,
        organisation_id,
        "device_bound",
        {
            "trainee_id": trainee_id,
            "device_id": device.public_id,
            "phone_id": phone_id,
            **vouched_by,
        },
        at=now,
    )
    return device


def _unknown_device() -> DomainError:
    return DomainError(
        "DEVICE_UNKNOWN",
        "Ce téléphone n'est pas enregistré : ouvrez d'abord le lien d'invitation reçu de "
        "l'organisme de formation.",
        status=401,
    )


def credential_claims(session: Session, credential: str | None) -> dict:
    """The claims of a genuine device cookie (no database read); refused as unknown."""
    if not credential:
        raise _unknown_device()
    try:
        return tokens.verify(session, credential, tokens.DEVICE)[1]
    except DomainError as exc:
        raise _unknown_device() from exc


def check_bound(phone: Phone | None, claims: dict) -> None:
    """``phone`` (None when no phone has the credential's id) must be the phone the
    credential names, still bound."""
    if phone is None or phone.organisation_id != claims.get("org"):
        raise _unknown_device()
    if phone.revoked_at is not None:
        raise DomainError(
            "DEVICE_NOT_BOUND",
            "Ce téléphone n'est plus lié à votre compte (un autre téléphone a été enregistré "
            "ou l'organisme l'a retiré) : demandez un nouveau lien d'invitation.",
            status=403,
        )


def device_from_credential(session: Session, credential: str | None) -> Device:
    """The bound phone behind the cookie; an unknown or unbound phone is refused."""
    claims = credential_claims(session, credential)
    device = session.scalar(select(Device).where(Device.public_id == claims["sub"]))
    check_bound(Phone.of(device) if device is not None else None, claims)
    return device


def revoke_devices(
    session: Session, org: Organisation, trainee: Trainee, by: User | None = None
) -> int:
    """Staff unbinds a lost phone; the trainee needs a new invitation to sign again. Logged
    as ``device_revoked`` with who did it, as a binding is (``bind_phone``), so the evidence
    tells why a phone stopped signing. Returns how many phones were unbound; none: nothing
    is logged."""
    org_id, trainee_id, by_id = org.id, trainee.id, by.id if by is not None else None
    now = utcnow()

    def write() -> int:
        revoked = session.scalars(
            update(Device)
            .where(
                Device.organisation_id == org_id,
                Device.trainee_id == trainee_id,
                Device.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(Device.public_id)
        ).all()
        if revoked:
            payload = {"trainee_id": trainee_id, "device_ids": sorted(revoked), "by": by_id}
            evidence.append(session, org_id, "device_revoked", payload, at=now)
        return len(revoked)

    return logged_write(session, org_id, None, write)


def revoke_invitation(session: Session, org: Organisation, trainee: Trainee, invitation_id: int):
    """Staff cancel a pending invitation (sent to a wrong address, printed and lost): its
    link then answers « annulé ». An invitation already used or cancelled is left as is."""
    return session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.organisation_id == org.id,
            Invitation.trainee_id == trainee.id,
            Invitation.kind == "device",
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    ).rowcount


_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)
_BROWSERS = (
    ("SamsungBrowser/", "Samsung Internet"),
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)


def describe_user_agent(user_agent: str | None) -> str:
    """« Android 14 · Chrome » from a browser's user agent: enough for staff to tell a
    trainee which phone is bound, without showing the whole string."""
    text = user_agent or ""
    system = next((name for key, name in _SYSTEMS if key in text), None)
    if system == "Android":
        match = re.search(r"Android (\d+)", text)
        system = f"Android {match.group(1)}" if match else system
    browser = next((name for key, name in _BROWSERS if key in text), None)
    words = [word for word in (system, browser) if word]
    return " · ".join(words) or "Appareil non reconnu"


@dataclass(frozen=True)
class RoomApproval:
    """A phone bound in the room (``binding_requests``): the trainer who approved it, when,
    and in which slot; shown as such wherever the phone is."""

    approved_by: str
    approved_at: datetime
    slot_id: int


@dataclass(frozen=True)
class BoundPhone:
    summary: str
    user_agent: str
    bound_at: datetime
    last_used_at: datetime | None
    approved_in_room: RoomApproval | None = None


def room_approval(session: Session, device: Device) -> RoomApproval | None:
    request = session.scalar(
        select(DeviceBindingRequest).where(
            DeviceBindingRequest.device_id == device.id,
            DeviceBindingRequest.status == "approved",
        )
    )
    if request is None:
        return None
    by = request.decided_by.full_name if request.decided_by else "—"
    return RoomApproval(by, request.decided_at, request.slot_id)


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    created_at: datetime
    expires_at: datetime
    email: str | None


@dataclass(frozen=True)
class Revocation:
    """Staff's last unbinding of a trainee's phone, as its evidence entry tells it."""

    at: datetime
    by: str


def last_revocation(session: Session, org: Organisation, trainee: Trainee) -> Revocation | None:
    """Why a trainee has no phone: the last unbinding by staff, read back from its
    ``device_revoked`` entry (``revoke_devices`` stamps the phone and the entry with the
    same time). None when the last phone was replaced by a new binding, or unbound before
    unbindings were logged."""
    revoked_at = session.scalar(
        select(func.max(Device.revoked_at)).where(
            Device.organisation_id == org.id, Device.trainee_id == trainee.id
        )
    )
    if revoked_at is None:
        return None
    payloads = session.scalars(
        select(EvidenceEntry.payload).where(
            EvidenceEntry.organisation_id == org.id,
            EvidenceEntry.chain == evidence.ORGANISATION,
            EvidenceEntry.kind == "device_revoked",
            EvidenceEntry.at == revoked_at,
        )
    )
    payload = next((p for p in payloads if p.get("trainee_id") == trainee.id), None)
    if payload is None:
        return None
    by = session.get(User, payload["by"]) if payload.get("by") else None
    return Revocation(revoked_at, by.full_name if by else "—")


@dataclass(frozen=True)
class PhoneState:
    """How a trainee signs today: the bound phone (or, without one, its last unbinding),
    the invitations still open, the kiosk PIN and QR card. Read by the staff page; the same
    facts the API acts on."""

    phone: BoundPhone | None
    pending: list[PendingInvitation]
    pin_set: bool
    pin_locked_until: datetime | None
    card_issued: bool
    revoked: Revocation | None = None


def phone_state(
    session: Session, org: Organisation, trainee: Trainee, now: datetime | None = None
) -> PhoneState:
    now = now or utcnow()
    device = session.scalar(
        select(Device)
        .where(
            Device.organisation_id == org.id,
            Device.trainee_id == trainee.id,
            Device.revoked_at.is_(None),
        )
        .order_by(Device.bound_at.desc())
        .limit(1)
    )
    phone = None
    if device is not None:
        last_used = session.scalar(
            select(func.max(Emargement.signed_at)).where(
                Emargement.trainee_id == trainee.id, Emargement.device_id == device.public_id
            )
        )
        phone = BoundPhone(
            describe_user_agent(device.user_agent),
            device.user_agent or "",
            device.bound_at,
            last_used,
            room_approval(session, device),
        )
    pending = [
        PendingInvitation(row.id, row.created_at, row.expires_at, row.email)
        for row in session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == org.id,
                Invitation.trainee_id == trainee.id,
                Invitation.kind == "device",
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    ]
    kiosk = session.scalar(
        select(KioskCredential).where(
            KioskCredential.organisation_id == org.id, KioskCredential.trainee_id == trainee.id
        )
    )
    locked = (
        kiosk.locked_until if kiosk and kiosk.locked_until and kiosk.locked_until > now else None
    )
    return PhoneState(
        phone,
        pending,
        pin_set=bool(kiosk and kiosk.pin_hash),
        pin_locked_until=locked,
        card_issued=bool(kiosk and kiosk.card_nonce),
        revoked=last_revocation(session, org, trainee) if phone is None else None,
    )


@dataclass(frozen=True)
class TraineePhoneLine:
    trainee_id: int
    name: str
    email: str | None
    bound_at: datetime | None
    pending_until: datetime | None  # the latest open invitation's expiry
    pin_set: bool


def phone_overview(
    session: Session, org: Organisation, purchase_order_id: int, now: datetime | None = None
) -> list[TraineePhoneLine]:
    """Before a BDC's first session: each trainee still in training on it (planned or in
    training), whether a phone is bound, an invitation is waiting, a kiosk PIN is set. Trainees
    without a phone come first. Three grouped queries, whatever the number of trainees."""
    now = now or utcnow()
    trainees = session.execute(
        select(Trainee.id, Trainee.last_name, Trainee.first_name, Trainee.email)
        .join(Pathway, Pathway.trainee_id == Trainee.id)
        .join(Composante, Composante.id == Pathway.composante_id)
        .where(
            Trainee.organisation_id == org.id,
            Composante.purchase_order_id == purchase_order_id,
            Pathway.status.in_(("planned", "in_training")),
            Trainee.anonymised_at.is_(None),
        )
        .distinct()
    ).all()
    ids = [row.id for row in trainees]
    bound = dict(
        session.execute(
            select(Device.trainee_id, func.max(Device.bound_at))
            .where(Device.trainee_id.in_(ids), Device.revoked_at.is_(None))
            .group_by(Device.trainee_id)
        ).all()
    )
    pending = dict(
        session.execute(
            select(Invitation.trainee_id, func.max(Invitation.expires_at))
            .where(
                Invitation.trainee_id.in_(ids),
                Invitation.kind == "device",
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .group_by(Invitation.trainee_id)
        ).all()
    )
    pins = set(
        session.scalars(
            select(KioskCredential.trainee_id).where(
                KioskCredential.trainee_id.in_(ids), KioskCredential.pin_hash.is_not(None)
            )
        )
    )
    lines = [
        TraineePhoneLine(
            row.id,
            f"{row.last_name.upper()} {row.first_name}",
            row.email,
            bound.get(row.id),
            pending.get(row.id),
            row.id in pins,
        )
        for row in trainees
    ]
    return sorted(lines, key=lambda line: (line.bound_at is not None, line.name, line.trainee_id))
