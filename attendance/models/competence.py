"""What the trainer records at a pathway's end for the attestation de compétences (R14)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attendance.extensions import db
from attendance.models.trainee import Pathway
from attendance.models.types import UTCDateTime, utcnow


class CompetenceAssessment(db.Model):
    """R14 (CCTP §6.1.2): evaluation results, skills acquired and company experience of one
    pathway, entered by a trainer; the attestation adds nature and duration from the hours."""

    __tablename__ = "competence_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathway.id"), unique=True)
    evaluation_results: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list] = mapped_column(JSON, default=list)
    company_experience: Mapped[str] = mapped_column(Text, default="")
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pathway: Mapped[Pathway] = relationship()

    def __repr__(self) -> str:
        return f"<CompetenceAssessment {self.id} pathway={self.pathway_id}>"
