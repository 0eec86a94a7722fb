"""Issued invoices and credit notes (avoirs), their frozen lines and the numbering counters.

An issued document never changes (French invoicing law: numbered, dated, kept as issued);
a mistake is corrected by a credit note that references it. Each document keeps a copy of
what it printed (organisation identity, customer, BDC number, prices), so a later edit of
the organisation or the BDC does not alter an invoice already sent.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.errors import Conflict
from attendance.extensions import db
from attendance.models.types import Money, UTCDateTime, utcnow

INVOICE_KINDS = ("invoice", "credit_note")
BILLING_UNITS_FR = {"trainee_hour": "heure-stagiaire", "group_hour": "heure-groupe"}


class InvoiceCounter(db.Model):
    """The last number given in one series (FA, AV) of one organisation and year.

    Numbers are taken by updating this row inside the transaction that stores the invoice:
    the row lock serialises concurrent issuers and a rollback gives the number back, so the
    series has no gap and no duplicate.
    """

    __tablename__ = "invoice_counter"
    __table_args__ = (UniqueConstraint("organisation_id", "year", "series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int]
    series: Mapped[str] = mapped_column(String(4))
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(db.Model):
    """An issued invoice of one BDC and month, or a credit note cancelling one."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("organisation_id", "number"),
        UniqueConstraint("organisation_id", "series", "year", "sequence"),
        # One credit note per invoice: a second would cancel it twice.
        UniqueConstraint("corrects_invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(4))
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(30))
    month: Mapped[date]  # first day of the invoiced month
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    corrects_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the document printed, copied at issue.
    seller: Mapped[dict] = mapped_column(JSON)
    customer: Mapped[dict] = mapped_column(JSON)
    purchase_order_number: Mapped[str] = mapped_column(String(60))
    purchase_order_title: Mapped[str] = mapped_column(String(300), default="")
    payment_terms: Mapped[str] = mapped_column(Text)
    rounding_note: Mapped[str] = mapped_column(Text)
    vat_exempt: Mapped[bool]
    vat_rate: Mapped[Decimal] = mapped_column(Money)
    total_excl_vat: Mapped[Decimal] = mapped_column(Money)
    vat_amount: Mapped[Decimal] = mapped_column(Money)
    total_incl_vat: Mapped[Decimal] = mapped_column(Money)
    # The evidence log's heads at issue (``evidence.take_anchor``); the PDF prints their digest.
    evidence_heads: Mapped[dict | None] = mapped_column(JSON)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )
    corrects: Mapped["Invoice | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.number}>"


class InvoiceLine(db.Model):
    """One composante of the invoiced month, with its billable quantity and amount, and the
    hours shown but not billed (R3 excess, company hours, R10 excess, e-formation
    autoformation) in ``details``."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int]
    composante_id: Mapped[int] = mapped_column(ForeignKey("composante.id"))
    composante_code: Mapped[str] = mapped_column(String(60))
    composante_title: Mapped[str] = mapped_column(String(300))
    billing_unit: Mapped[str] = mapped_column(String(20))
    realised_minutes: Mapped[int]
    billable_minutes: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


@event.listens_for(Invoice, "before_update")
@event.listens_for(Invoice, "before_delete")
@event.listens_for(InvoiceLine, "before_update")
@event.listens_for(InvoiceLine, "before_delete")
def _issued_documents_never_change(mapper, connection, target) -> None:
    """An issued invoice or credit note is final; a credit note corrects it."""
    invoice_id = target.id if isinstance(target, Invoice) else target.invoice_id
    raise Conflict(
        "INVOICE_IMMUTABLE",
        "Une facture ou un avoir émis ne se modifie ni ne se supprime : émettez un avoir "
        "pour corriger une facture.",
        {"invoice_id": invoice_id},
    )
