"""The Region's purchase orders (BDC), their composantes and monthly periods."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.dispositif import Dispositif
from attendance.models.types import Money, UTCDateTime, utcnow

BDC_MODES = ("presentiel", "hybride", "e_formation")
BILLING_UNITS = ("trainee_hour", "group_hour")
MONTH_STATES = ("draft", "synchronised", "validated")


class PurchaseOrder(db.Model):
    """A BDC (bon de commande): the Region orders training from the organisation."""

    __tablename__ = "purchase_order"
    __table_args__ = (UniqueConstraint("organisation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    number: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300), default="")
    dispositif_id: Mapped[int] = mapped_column(ForeignKey("dispositif.id"))
    mode: Mapped[str] = mapped_column(String(20))
    planned_start: Mapped[date]
    planned_end: Mapped[date]
    sites: Mapped[list] = mapped_column(JSON, default=list)
    planned_trainees: Mapped[int] = mapped_column(default=0)
    # R8 (FAQ 34): kept equal to the first trainee's entry date by the pathway operations.
    opening_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Co-financed (e.g. ESF): evidence is kept 10 years instead of 6 (DOMAIN "Legal evidence").
    co_financed: Mapped[bool] = mapped_column(default=False, server_default=false())

    dispositif: Mapped[Dispositif] = relationship()
    composantes: Mapped[list["Composante"]] = relationship(
        back_populates="purchase_order", order_by="Composante.id"
    )

    def __repr__(self) -> str:
        return f"<PurchaseOrder {self.id} {self.number}>"


class Composante(db.Model):
    """One course inside a BDC, with its contracted volume (total trainee-hours) and price."""

    __tablename__ = "composante"
    __table_args__ = (UniqueConstraint("purchase_order_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    contracted_centre_minutes: Mapped[int]
    contracted_company_minutes: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    billing_unit: Mapped[str] = mapped_column(String(20), default="trainee_hour")

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="composantes")

    def __repr__(self) -> str:
        return f"<Composante {self.id} {self.code}>"


class MonthPeriod(db.Model):
    """A BDC's month: draft, then synchronised (re-sync allowed), then validated (R11)."""

    __tablename__ = "month_period"
    __table_args__ = (UniqueConstraint("purchase_order_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    month: Mapped[date]  # first day of the month
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=0)
    synchronised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # R11: the month's billing figures frozen at validation (``hours.billable``): quantities,
    # prices and the cap allocation carried to the next month. Billing reads these, so an
    # invoice always equals what was validated, whatever is edited afterwards.
    figures: Mapped[dict | None] = mapped_column(JSON)

    purchase_order: Mapped[PurchaseOrder] = relationship()
