"""Scheduled slots (séances), sign-ins (émargements) and hour corrections.

The flows that fill sign-ins and corrections live in ``attendance.signing``;
these are the tables they write to.
"""

from datetime import UTC, date, datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from attendance.extensions import db
from attendance.models.organisation import User
from attendance.models.purchase_order import Composante
from attendance.models.site import Room
from attendance.models.trainee import Trainee
from attendance.models.types import UTCDateTime, utcnow

SLOT_KINDS = ("centre", "distance", "autoformation", "company", "regroupement")
SIGN_IN_METHODS = ("qr", "link", "kiosk", "tutor", "trainer", "correction")
# R12 (FAQ 45): sign-ins no trainee (or company tutor) signed for. The trainer marked the
# trainee present, or changed the record after the slot's validation: every hour they carry
# is a correction and shows as one. QR, link, kiosk and tutor sign-ins are signatures.
UNSIGNED_METHODS = ("trainer", "correction")
ATTENDANCE_STATUSES = ("present", "absent")


class Slot(db.Model):
    """A séance: one half-day (usually) of one kind, at a site, in a company or online."""

    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    composante_id: Mapped[int] = mapped_column(ForeignKey("composante.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("starts_at", "ends_at")
    def _in_utc(self, key, value):
        """Held in UTC from the moment it is set, as it is stored, so a slot reads the same
        before and after its transaction commits."""
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    title: Mapped[str] = mapped_column(String(300), default="")
    site: Mapped[str | None] = mapped_column(String(200))
    company_name: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    objective: Mapped[str | None] = mapped_column(String(1000))  # autoformation
    group_name: Mapped[str | None] = mapped_column(String(100))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # The room booked; ``site`` then holds its site's name, so every reader of ``site`` goes on.
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    # Company slots are one trainee's; group slots leave this empty.
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id"), index=True)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    trainer_signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    composante: Mapped[Composante] = relationship()
    trainer: Mapped[User | None] = relationship(foreign_keys=[trainer_id])
    trainee: Mapped[Trainee | None] = relationship()
    room: Mapped[Room | None] = relationship()

    @property
    def scheduled_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None

    def __repr__(self) -> str:
        return f"<Slot {self.id} {self.kind} {self.starts_at:%Y-%m-%d %H:%M}>"


class Emargement(db.Model):
    """One trainee's sign-in on one slot, with its evidence. (slot, trainee) is unique."""

    __tablename__ = "emargement"
    __table_args__ = (UniqueConstraint("slot_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="present")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(20))
    late_minutes: Mapped[int] = mapped_column(default=0)
    early_leave_minutes: Mapped[int] = mapped_column(default=0)
    # Autoformation counts only once the trainer confirms it (DOMAIN "How sign-in works").
    confirmed: Mapped[bool] = mapped_column(default=True)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_jti: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    device_id: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    absence_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    slot: Mapped[Slot] = relationship()
    trainee: Mapped[Trainee] = relationship()


class Correction(db.Model):
    """R12 (FAQ 45) correctif horaire: per day for centre hours, per month for company hours.

    ``minutes`` replaces the realised minutes of the day (or month) it covers.
    """

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    composante_id: Mapped[int] = mapped_column(ForeignKey("composante.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id"))
    scope: Mapped[str] = mapped_column(String(10))  # "day" (centre) or "month" (company)
    day: Mapped[date]  # the day corrected, or the first day of the month corrected
    hour_class: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int]
    reason: Mapped[str] = mapped_column(String(1000))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_type: Mapped[str | None] = mapped_column(String(60))
    validated: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    trainee: Mapped[Trainee] = relationship()
    slot: Mapped[Slot | None] = relationship()
