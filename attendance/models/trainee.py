"""Trainees and their pathways (parcours), with the dated history R18 asks for."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.purchase_order import Composante
from attendance.models.types import UTCDateTime, utcnow

PATHWAY_STATUSES = ("planned", "in_training", "abandon", "completed")


class Trainee(db.Model):
    """A stagiaire. BOE and AAH are mandatory fields for the Region (R15)."""

    __tablename__ = "trainee"
    # The staff list pages through trainees in name order (migration 0017).
    __table_args__ = (
        Index("ix_trainee_organisation_name", "organisation_id", "last_name", "first_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    last_name: Mapped[str] = mapped_column(String(120))
    first_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    external_id: Mapped[str | None] = mapped_column(String(60))
    boe: Mapped[bool] = mapped_column(default=False)
    aah: Mapped[bool] = mapped_column(default=False)
    # Set when retention anonymised the trainee (attendance.privacy.retention).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pathways: Mapped[list["Pathway"]] = relationship(back_populates="trainee")

    @property
    def display_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    def __repr__(self) -> str:
        return f"<Trainee {self.id} {self.display_name}>"


class Pathway(db.Model):
    """A trainee's individual pathway on a composante: dates and prescribed hours."""

    __tablename__ = "pathway"
    __table_args__ = (UniqueConstraint("trainee_id", "composante_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    composante_id: Mapped[int] = mapped_column(ForeignKey("composante.id"), index=True)
    entry_date: Mapped[date]
    planned_exit_date: Mapped[date]
    effective_exit_date: Mapped[date | None]
    prescribed_centre_minutes: Mapped[int]
    prescribed_company_minutes: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trainee: Mapped[Trainee] = relationship(back_populates="pathways")
    composante: Mapped[Composante] = relationship()
    events: Mapped[list["PathwayEvent"]] = relationship(
        back_populates="pathway", order_by="PathwayEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Pathway {self.id} trainee={self.trainee_id} composante={self.composante_id}>"


class PathwayEvent(db.Model):
    """R18 (FAQ 26): entries, exits, interruptions and date moves are dated, never overwritten."""

    __tablename__ = "pathway_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    pathway_id: Mapped[int] = mapped_column(
        ForeignKey("pathway.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    pathway: Mapped[Pathway] = relationship(back_populates="events")


def on_pathway(composante, organisation, day) -> tuple:
    """Who is expected on a group slot: a pathway on the slot's composante that has started
    and has not ended before the slot's day (values, or bind parameters). Sign-in and planning
    both ask it here."""
    return (
        Pathway.composante_id == composante,
        Pathway.organisation_id == organisation,
        Pathway.entry_date <= day,
        (Pathway.effective_exit_date.is_(None)) | (Pathway.effective_exit_date >= day),
    )
