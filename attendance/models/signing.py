"""Tables of the sign-in flows: signing keys, phones, invitations, kiosk credentials,
emargement revisions and the hash-chained evidence log.

The flows themselves live in ``attendance.signing``.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.organisation import User
from attendance.models.slot import Emargement
from attendance.models.trainee import Trainee
from attendance.models.types import UTCDateTime, utcnow

SIGNING_ALGORITHMS = ("HS256", "EdDSA")
INVITATION_KINDS = ("device", "tutor")


class SigningKey(db.Model):
    """A JWT signing key. RFC 8725 §3.1: the algorithm is pinned to the key, never read from
    the token. The newest unretired key signs; retired keys still verify what they signed."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(40), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    # HS256: the secret (base64url, ≥ 256 bits); EdDSA: the PKCS#8 PEM private key.
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.kid} {self.alg}{' retired' if self.retired_at else ''}>"


class Device(db.Model):
    """A phone bound to one trainee by opening an invitation. ``public_id`` is what the device
    credential cookie names; ``phone_id`` survives re-binding the same browser to someone else,
    which is how one phone signing for two trainees is spotted."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    phone_id: Mapped[str] = mapped_column(String(64), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trainee: Mapped[Trainee] = relationship()

    def __repr__(self) -> str:
        return f"<Device {self.public_id[:8]} trainee={self.trainee_id}>"


class Invitation(db.Model):
    """A personal link sent by staff: ``device`` binds a phone to a trainee (single use);
    ``tutor`` lets a company tutor confirm a trainee's company days (until it expires)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))  # tutor's name
    email: Mapped[str | None] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trainee: Mapped[Trainee] = relationship()

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.kind} trainee={self.trainee_id}>"


class KioskCredential(db.Model):
    """A trainee's PIN and personal QR card for the shared tablet. Failed PIN attempts are
    counted here, in the database, so every server process shares the limit."""

    __tablename__ = "kiosk_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    card_nonce: Mapped[str | None] = mapped_column(String(64))  # reissuing a card revokes the old
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmargementRevision(db.Model):
    """A change to a sign-in made by the trainer or staff: before/after and, once the slot is
    validated, the mandatory reason (history is kept, never overwritten)."""

    __tablename__ = "emargement_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    emargement_id: Mapped[int] = mapped_column(ForeignKey("emargement.id"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_correction: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(String(1000))
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)

    emargement: Mapped[Emargement] = relationship()
    changed_by: Mapped[User | None] = relationship()


class EvidenceEntry(db.Model):
    """One entry of an evidence chain; ``hash`` covers the entry and the hash of the previous
    one, so editing or removing any entry breaks every hash after it. An organisation has
    one chain for its own events (``chain`` = "organisation": phones, months) and one per slot
    (``chain`` = "slot:<id>": sign-ins, roster, validation), so rooms commit in parallel."""

    __tablename__ = "evidence_entry"
    __table_args__ = (UniqueConstraint("organisation_id", "chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    chain: Mapped[str] = mapped_column(String(40), default="organisation")
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EvidenceHead(db.Model):
    """A chain's last entry. Appending updates this row first: on PostgreSQL the row lock,
    on SQLite the write lock, keep concurrent appends to one chain in one line."""

    __tablename__ = "evidence_head"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(40), primary_key=True, default="organisation")
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


BINDING_REQUEST_STATUSES = ("pending", "approved", "refused")


class DeviceBindingRequest(db.Model):
    """A first-time phone in the room: the trainee picked their name from the slot's list
    and waits for the trainer's one-tap approval, which binds the phone like an invitation.
    The phone proves it is the one that asked with a random secret kept in its cookie; only
    the secret's SHA-256 is stored. ``qr_jti`` names the slot code it was opened with, for
    the evidence."""

    __tablename__ = "device_binding_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_id: Mapped[str] = mapped_column(String(64))
    qr_jti: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)

    trainee: Mapped[Trainee] = relationship()
    decided_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DeviceBindingRequest {self.id} {self.status} trainee={self.trainee_id}>"
