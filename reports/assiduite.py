"""Attestation d'assiduité: one trainee's attendance over one month of a BDC (R13).

Realised hours come from the hours engine through ``certificates_for_order`` (one GROUP BY
for the whole BDC, corrections applied and stated, R12); the planned hours are the month's
scheduled slots the trainee was expected at (group slots of their composantes while their
pathway runs, and their own company slots); half-days signed present or absent are counted
by the database.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.clock import local_day, window
from attendance.models import (
    Composante,
    Emargement,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
)
from attendance.signing.absences import Absence, absences_in_month
from attendance.tenancy import get_owned
from reports.certificates import (
    CertificateData,
    certificates_for_order,
    document_context,
    nothing_to_certify,
)
from reports.pdf import render_pdf
from reports.period import Period

TEMPLATE = "assiduite.html"


@dataclass
class AssiduiteData:
    """The month's hours of one trainee (``hours``) with what was planned and signed."""

    hours: CertificateData
    month: date
    scheduled_minutes: int
    half_days_present: int
    half_days_absent: int
    absences: list[Absence] = field(default_factory=list)

    def absences_counted(self, justification: str) -> int:
        """Half-days of absence justified, unjustified or not decided yet."""
        return sum(1 for a in self.absences if a.justification == justification)

    @property
    def rate_percent(self) -> str | None:
        """Realised over planned, « 93,5 % »; none when nothing was planned."""
        if not self.scheduled_minutes:
            return None
        rate = 100 * self.hours.total_minutes / self.scheduled_minutes
        return f"{rate:.1f}".replace(".", ",") + " %"

    @property
    def file_stem(self) -> str:
        return self.hours.file_stem.replace("certificat_", "assiduite_", 1)


def attestations_for_order(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    trainee_id: int | None = None,
) -> list[AssiduiteData]:
    """Every trainee of the BDC with a pathway or hours in ``month``; a fixed number of
    statements whatever the number of trainees."""
    period = Period.month(month)
    certificates = certificates_for_order(session, org, purchase_order_id, period, trainee_id)
    win = window(period.first_month)
    composantes = select(Composante.id).where(
        Composante.organisation_id == org.id, Composante.purchase_order_id == purchase_order_id
    )
    slots = session.execute(
        select(Slot.composante_id, Slot.trainee_id, Slot.starts_at, Slot.ends_at).where(
            Slot.organisation_id == org.id,
            Slot.composante_id.in_(composantes),
            win.holds(Slot.starts_at),
        )
    ).all()
    pathways = defaultdict(list)
    statement = select(
        Pathway.trainee_id,
        Pathway.composante_id,
        Pathway.entry_date,
        func.coalesce(Pathway.effective_exit_date, Pathway.planned_exit_date),
    ).where(Pathway.organisation_id == org.id, Pathway.composante_id.in_(composantes))
    if trainee_id is not None:
        statement = statement.where(Pathway.trainee_id == trainee_id)
    for trainee, composante, entry, exit_date in session.execute(statement):
        pathways[trainee].append((composante, entry, exit_date))
    counts = _half_day_counts(session, org, composantes, win, trainee_id)
    absences = defaultdict(list)
    for absence in absences_in_month(
        session, org.id, purchase_order_id, period.first_month, trainee_id=trainee_id
    ):
        absences[absence.trainee_id].append(absence)

    attestations = []
    for cert in certificates:
        scheduled = sum(
            _minutes(start, end)
            for composante, owner, start, end in slots
            if _expected(cert.trainee_id, pathways[cert.trainee_id], composante, owner, start)
        )
        attestations.append(
            AssiduiteData(
                hours=cert,
                month=period.first_month,
                scheduled_minutes=scheduled,
                half_days_present=counts.get((cert.trainee_id, "present"), 0),
                half_days_absent=counts.get((cert.trainee_id, "absent"), 0),
                absences=absences[cert.trainee_id],
            )
        )
    return attestations


def _minutes(start, end) -> int:
    return int((end - start).total_seconds() // 60)


def _expected(trainee_id, pathways, composante_id, owner_id, starts_at) -> bool:
    """Was the trainee expected at this slot? Their own company slot, or a group slot of
    one of their composantes on a day their pathway runs."""
    if owner_id is not None:
        return owner_id == trainee_id
    day = local_day(starts_at)
    return any(c == composante_id and entry <= day <= end for c, entry, end in pathways)


def _half_day_counts(session, org, composantes, win, trainee_id) -> dict:
    statement = (
        select(Emargement.trainee_id, Emargement.status, func.count())
        .join(Slot, Slot.id == Emargement.slot_id)
        .where(
            Emargement.organisation_id == org.id,
            Slot.composante_id.in_(composantes),
            win.holds(Slot.starts_at),
        )
        .group_by(Emargement.trainee_id, Emargement.status)
    )
    if trainee_id is not None:
        statement = statement.where(Emargement.trainee_id == trainee_id)
    return {(trainee, status): n for trainee, status, n in session.execute(statement)}


def render_attestations(attestations: list[AssiduiteData], shared: dict) -> bytes:
    return render_pdf(TEMPLATE, attestations=attestations, **shared)


def assiduite_pdf(
    session: Session, org: Organisation, purchase_order_id: int, trainee_id: int, month: date
) -> bytes:
    """One trainee's monthly attestation d'assiduité, for staff downloads."""
    get_owned(session, Trainee, trainee_id, org, "stagiaire")
    attestations = attestations_for_order(session, org, purchase_order_id, month, trainee_id)
    if not attestations:
        raise nothing_to_certify(Period.month(month))
    order = session.get(PurchaseOrder, purchase_order_id)
    return render_attestations(attestations, document_context(org, order))
