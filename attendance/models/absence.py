"""An absence's justification: justified or not (or not decided yet), the reason chosen from
the list (``attendance.signing.absences.REASONS``) and the supporting document.

Kept beside the sign-in, not in it: the emargement's evidence digest stays what the trainee
and the trainer signed, and the document (often medical) is read only when downloaded.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from attendance.extensions import db
from attendance.models.slot import Emargement
from attendance.models.types import UTCDateTime, utcnow

JUSTIFICATIONS = ("justified", "unjustified", "undecided")


class AbsenceJustification(db.Model):
    __tablename__ = "absence_justification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    emargement_id: Mapped[int] = mapped_column(ForeignKey("emargement.id"), unique=True)
    justification: Mapped[str] = mapped_column(String(12), default="undecided")
    reason_code: Mapped[str | None] = mapped_column(String(30))
    # Loaded only when downloaded: lists and attestations never read the file.
    document: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    document_type: Mapped[str | None] = mapped_column(String(60))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    emargement: Mapped[Emargement] = relationship()
