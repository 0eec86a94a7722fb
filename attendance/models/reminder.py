"""Reminders sent about a slot, one row per (kind, slot, recipient).

The unique constraint is what stops a double send: ``attendance remind`` claims a reminder by
inserting its row *before* sending, so two runs on two servers cannot both own it; a failed
send keeps its row (status ``failed``) and the next run takes it back with a conditional
update.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attendance.extensions import db
from attendance.models.types import UTCDateTime, utcnow

REMINDER_KINDS = ("trainee_unsigned", "trainer_unvalidated")
REMINDER_STATUSES = ("sending", "sent", "failed")


class Reminder(db.Model):
    """One reminder: to a trainee who has not signed, or to a trainer who has not validated."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("kind", "slot_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    # "trainee:<id>" or "user:<id>": stable even if the address changes later.
    recipient: Mapped[str] = mapped_column(String(40))
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    claim_id: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.kind} slot={self.slot_id} {self.recipient}>"
