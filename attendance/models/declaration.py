"""Monthly declarations: frozen snapshots of a BDC's month and their pushes to the Region."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.purchase_order import MonthPeriod
from attendance.models.types import UTCDateTime, utcnow


class MonthDeclaration(db.Model):
    """One synchronisation of a month (R11): a numbered, frozen copy of the declared figures.

    Re-synchronising adds a new version; earlier versions stay for the audit trail.
    """

    __tablename__ = "month_declaration"
    __table_args__ = (UniqueConstraint("month_period_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    month_period_id: Mapped[int] = mapped_column(ForeignKey("month_period.id"), index=True)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list] = mapped_column(JSON)
    grid: Mapped[list] = mapped_column(JSON)
    totals: Mapped[dict] = mapped_column(JSON)
    # The evidence log's heads when the month was validated (``evidence.take_anchor``).
    evidence_heads: Mapped[dict | None] = mapped_column(JSON)

    period: Mapped[MonthPeriod] = relationship()


class DeclarationPush(db.Model):
    """Every attempt to send a declaration to the configured endpoint, with its outcome."""

    __tablename__ = "declaration_push"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("month_declaration.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20))  # success, http_error, network_error
    http_status: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")

    declaration: Mapped[MonthDeclaration] = relationship()
