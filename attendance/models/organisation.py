"""Tenants, their staff and staff API tokens."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.types import Money, UTCDateTime, utcnow

ROLES = ("admin", "billing", "trainer", "auditor")
# What an invoice says about payment until the organisation writes its own (public buyer).
DEFAULT_PAYMENT_TERMS_FR = (
    "Paiement par virement à 30 jours à compter de la réception de la facture (délai global "
    "de paiement, art. R2192-10 du code de la commande publique). Tout retard ouvre droit à "
    "des intérêts moratoires et à l'indemnité forfaitaire de 40 € pour frais de recouvrement "
    "(art. D2192-35)."
)


class Organisation(db.Model):
    """A training organisation (OF): the tenant every other row belongs to."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    # Images up to a few hundred kB, read only by the documents that print them: deferred,
    # so the organisation loaded with the user on every page does not carry them.
    stamp_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Training is VAT-exempt for most OF (CGI art. 261-4-4°); those that are not set a rate.
    vat_exempt: Mapped[bool] = mapped_column(default=True)
    vat_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Reminders (attendance.notify): minutes after a slot starts / ends before reminding.
    reminder_trainee_delay_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    reminder_trainer_delay_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    # Retention (attendance.privacy, DOMAIN "Legal evidence"): years after the end of training.
    retention_years: Mapped[int] = mapped_column(default=6, server_default="6")
    retention_cofinanced_years: Mapped[int] = mapped_column(default=10, server_default="10")
    # Printed on every invoice (frozen into it at issue): payment terms and free mentions
    # (NDA number, bank details, insurance…).
    payment_terms: Mapped[str] = mapped_column(
        Text, default=DEFAULT_PAYMENT_TERMS_FR, server_default=DEFAULT_PAYMENT_TERMS_FR
    )
    invoice_mentions: Mapped[str] = mapped_column(Text, default="", server_default="")

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(db.Model):
    """A staff member; the role decides what they may see and do."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copied into the session cookie at login; raised on logout and password change, which
    # ends every session issued before (a signed cookie cannot be taken back otherwise).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(db.Model):
    """An opaque bearer token; only its SHA-256 is stored, so a database leak reveals none."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
