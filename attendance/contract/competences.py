"""R14 (CCTP §6.1.2): the trainer enters a pathway's evaluation results, skills acquired and
company experience; the attestation de compétences prints them with nature and duration."""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from attendance.accounts import can
from attendance.errors import Forbidden
from attendance.models import CompetenceAssessment, Organisation, Pathway, Slot, User
from attendance.models.types import utcnow
from attendance.tenancy import get_owned


def get_assessment(
    session: Session, org: Organisation, pathway_id: int
) -> CompetenceAssessment | None:
    get_owned(session, Pathway, pathway_id, org, "parcours")
    return session.scalar(
        select(CompetenceAssessment).where(
            CompetenceAssessment.organisation_id == org.id,
            CompetenceAssessment.pathway_id == pathway_id,
        )
    )


def save_assessment(
    session: Session, org: Organisation, user: User, pathway_id: int, data: dict
) -> CompetenceAssessment:
    """Create or replace the pathway's assessment. A trainer may only assess trainees of a
    composante they teach (at least one slot of it is theirs)."""
    pathway = get_owned(session, Pathway, pathway_id, org, "parcours")
    if not can(user, "slot:read_all") and not session.scalar(
        select(
            exists().where(
                Slot.organisation_id == org.id,
                Slot.composante_id == pathway.composante_id,
                Slot.trainer_id == user.id,
            )
        )
    ):
        raise Forbidden(
            "Vous n'animez aucune séance de cette composante : seul un de ses formateurs "
            "peut saisir les résultats et compétences."
        )
    assessment = get_assessment(session, org, pathway_id) or CompetenceAssessment(
        organisation_id=org.id, pathway_id=pathway.id
    )
    assessment.evaluation_results = data.get("evaluation_results", "").strip()
    assessment.skills = [skill.strip() for skill in data.get("skills", []) if skill.strip()]
    assessment.company_experience = data.get("company_experience", "").strip()
    assessment.assessed_by_id = user.id
    assessment.assessed_at = utcnow()
    session.add(assessment)
    session.flush()
    return assessment
