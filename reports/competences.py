"""Attestation de compétences at a pathway's exit (R14, CCTP §6.1.2): nature and duration of
the training, evaluation results, skills acquired and company experience, stamped and signed.

Results, skills and company experience are the trainer's entry (``CompetenceAssessment``);
the duration is the hours engine's (centre and company hours realised over the whole
pathway, corrections applied and stated, R12); the companies are those of the trainee's
company slots.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.contract.competences import get_assessment
from attendance.errors import RuleViolation
from attendance.hours.aggregate import hours_to_date
from attendance.hours.classes import CENTRE_CLASSES, COMPANY
from attendance.models import Composante, Organisation, Pathway, PurchaseOrder, Slot
from attendance.tenancy import get_owned
from reports.certificates import NATURE, RealisedHours, document_context, today_local
from reports.pdf import render_pdf

TEMPLATE = "competences.html"


@dataclass
class CompetenceData(RealisedHours):
    trainee_name: str
    external_id: str | None
    order_number: str
    programme: str
    action_title: str
    entry_date: date
    exit_date: date
    exited: bool
    prescribed_centre_minutes: int
    prescribed_company_minutes: int
    evaluation_results: str
    skills: list[str]
    company_experience: str
    companies: list[str]
    minutes_by_class: dict[str, int] = field(default_factory=dict)
    corrected_minutes: int = 0
    corrections: int = 0
    nature: str = NATURE

    @property
    def centre_minutes(self) -> int:
        return sum(m for cls, m in self.minutes_by_class.items() if cls in CENTRE_CLASSES)

    @property
    def company_minutes(self) -> int:
        return self.minutes_by_class.get(COMPANY, 0)


def competence_data(session: Session, org: Organisation, pathway_id: int) -> CompetenceData:
    """Everything the attestation states for one pathway; refused (422) until the trainer
    has entered the results and skills."""
    pathway = get_owned(session, Pathway, pathway_id, org, "parcours")
    assessment = get_assessment(session, org, pathway_id)
    if assessment is None or not (assessment.evaluation_results or assessment.skills):
        raise RuleViolation(
            "COMPETENCES_NOT_ENTERED",
            "Les résultats d'évaluation et les compétences acquises n'ont pas encore été "
            "saisis par le formateur : saisissez-les avant d'éditer l'attestation.",
            {"pathway_id": pathway_id},
        )
    composante = session.get(Composante, pathway.composante_id)
    order = session.get(PurchaseOrder, composante.purchase_order_id)
    exit_date = pathway.effective_exit_date or pathway.planned_exit_date
    through = max(min(exit_date, today_local()), pathway.entry_date)
    minutes: dict[str, int] = {}
    corrected = corrections = 0
    for row in hours_to_date(
        session,
        org,
        order.id,
        through,
        by=("composante_id", "hour_class"),
        trainee_id=pathway.trainee_id,
    ):
        if row.composante_id == composante.id and row.minutes:
            minutes[row.hour_class] = row.minutes
        if row.composante_id == composante.id:
            corrected += row.corrected_minutes
            corrections += row.corrections
    companies = session.scalars(
        select(Slot.company_name)
        .where(
            Slot.organisation_id == org.id,
            Slot.composante_id == composante.id,
            Slot.trainee_id == pathway.trainee_id,
            Slot.kind == COMPANY,
            Slot.company_name.is_not(None),
        )
        .distinct()
        .order_by(Slot.company_name)
    ).all()
    trainee = pathway.trainee
    return CompetenceData(
        trainee_name=trainee.display_name,
        external_id=trainee.external_id,
        order_number=order.number,
        programme=order.title,
        action_title=composante.title,
        entry_date=pathway.entry_date,
        exit_date=exit_date,
        exited=pathway.effective_exit_date is not None,
        prescribed_centre_minutes=pathway.prescribed_centre_minutes,
        prescribed_company_minutes=pathway.prescribed_company_minutes,
        evaluation_results=assessment.evaluation_results,
        skills=list(assessment.skills),
        company_experience=assessment.company_experience,
        companies=list(companies),
        minutes_by_class=minutes,
        corrected_minutes=corrected,
        corrections=corrections,
    )


def competence_attestation_pdf(session: Session, org: Organisation, pathway_id: int) -> bytes:
    data = competence_data(session, org, pathway_id)
    pathway = session.get(Pathway, pathway_id)
    order = session.get(PurchaseOrder, pathway.composante.purchase_order_id)
    return render_pdf(TEMPLATE, att=data, **document_context(org, order))
