"""Certificat de réalisation per trainee and period (R13), on the Ministry of Labour's model.

R13 (CCTP §3.2.2.1): the certificate is generated from the collected sign-ins, never typed:
its hours come from the hours engine (``attendance.hours.aggregate.realised_hours``), one
GROUP BY statement for a whole BDC, corrections applied (R12). Distance and autoformation
hours are stated as such; hours that include a correctif horaire say so on the certificate.

The model's fields: the provider and its signatory, the trainee (employer where there is one;
the trainee table has none, Region trainees being job seekers), the action's title, its
nature (action de formation), the dates, the realised duration in hours, place and date,
stamp and signature.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.errors import DomainError, NotFound
from attendance.hours.aggregate import realised_hours
from attendance.hours.classes import HOUR_CLASSES
from attendance.models import Composante, Organisation, Pathway, PurchaseOrder, Trainee
from attendance.tenancy import get_owned
from reports.pdf import organisation_context, render_pdf
from reports.period import Period

TEMPLATE = "certificate.html"
NATURE = "action de formation"
# How each hour class reads on the certificate (DOMAIN.md, "Hour classification").
CLASS_WORDING = {
    "centre": "en présentiel, au centre de formation",
    "distance": "à distance, en tutorat synchrone (FAD — classe virtuelle)",
    "autoformation": "en autoformation à distance (asynchrone)",
    "regroupement": "en regroupement présentiel",
    "company": "en période en entreprise",
}


class RealisedHours:
    """What both documents say of realised time (``minutes_by_class``): the total, and one
    line per class in the fixed class order."""

    minutes_by_class: dict[str, int]

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_class.values())

    @property
    def class_lines(self) -> list[tuple[str, int]]:
        """(wording, minutes) of each class with realised time, in the fixed class order."""
        return [
            (CLASS_WORDING[cls], self.minutes_by_class[cls])
            for cls in HOUR_CLASSES
            if self.minutes_by_class.get(cls)
        ]


@dataclass
class CertificateData(RealisedHours):
    """What one certificate states; built from hours rows and pathways, no sign-in read."""

    trainee_id: int
    trainee_name: str
    external_id: str | None
    order_number: str
    programme: str
    action_titles: list[str]
    start: date
    end: date
    period: Period
    minutes_by_class: dict[str, int] = field(default_factory=dict)
    corrected_minutes: int = 0
    corrections: int = 0
    pathway_in_period: bool = False

    @property
    def file_stem(self) -> str:
        name = f"{self.trainee_name}".replace(" ", "_").replace("/", "-")
        return f"certificat_{self.period.slug}_{name}_{self.trainee_id}"


def today_local() -> date:
    return clock.today()


def certificates_for_order(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    period: Period,
    trainee_id: int | None = None,
) -> list[CertificateData]:
    """One certificate per trainee of a BDC with a pathway in the period or hours in it.

    Three statements whatever the number of trainees: the BDC, its pathways with their
    trainees, and the hours engine's GROUP BY (per trainee and class).
    """
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    rows = realised_hours(
        session,
        org,
        order.id,
        period.first_month,
        period.last_month,
        by=("trainee_id", "hour_class"),
        trainee_id=trainee_id,
    )
    statement = (
        select(Pathway, Trainee, Composante.title)
        .join(Trainee, Trainee.id == Pathway.trainee_id)
        .join(Composante, Composante.id == Pathway.composante_id)
        .where(
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
        )
        .order_by(Trainee.last_name, Trainee.first_name, Trainee.id, Composante.id)
    )
    if trainee_id is not None:
        statement = statement.where(Pathway.trainee_id == trainee_id)

    certificates: dict[int, CertificateData] = {}
    for pathway, trainee, title in session.execute(statement):
        cert = certificates.get(trainee.id)
        if cert is None:
            cert = certificates[trainee.id] = _blank(trainee, order, period)
        if title not in cert.action_titles:
            cert.action_titles.append(title)
        exit_date = pathway.effective_exit_date or pathway.planned_exit_date
        if pathway.entry_date <= period.last_day and exit_date >= period.first_day:
            # The dates certified: the period, clipped to the pathways running in it.
            start = max(period.first_day, pathway.entry_date)
            end = min(period.last_day, exit_date)
            cert.start = min(cert.start, start) if cert.pathway_in_period else start
            cert.end = max(cert.end, end) if cert.pathway_in_period else end
            cert.pathway_in_period = True

    for row in rows:
        cert = certificates.get(row.trainee_id)
        if cert is None:  # hours without a pathway on this BDC: certify them all the same
            trainee = session.get(Trainee, row.trainee_id)
            cert = certificates[row.trainee_id] = _blank(trainee, order, period)
        cert.minutes_by_class[row.hour_class] = (
            cert.minutes_by_class.get(row.hour_class, 0) + row.minutes
        )
        cert.corrected_minutes += row.corrected_minutes
        cert.corrections += row.corrections
    for cert in certificates.values():
        cert.action_titles = cert.action_titles or [order.title]
    return [cert for cert in certificates.values() if cert.pathway_in_period or cert.total_minutes]


def _blank(trainee: Trainee, order: PurchaseOrder, period: Period) -> CertificateData:
    return CertificateData(
        trainee_id=trainee.id,
        trainee_name=trainee.display_name,
        external_id=trainee.external_id,
        order_number=order.number,
        programme=order.title,
        action_titles=[],
        start=period.first_day,
        end=period.last_day,
        period=period,
    )


def document_context(org: Organisation, order: PurchaseOrder | None = None, issued_on=None):
    """What every document of a batch shares: provider, place and date of signature."""
    provider = organisation_context(org)
    place = provider["city"] or (order.sites[0] if order is not None and order.sites else "")
    return {"org": provider, "place": place, "issued_on": issued_on or today_local()}


def render_certificates(certificates: list[CertificateData], shared: dict) -> bytes:
    """One PDF holding the given certificates, one page each (usually one certificate)."""
    return render_pdf(TEMPLATE, certificates=certificates, **shared)


def certificate_pdf(
    session: Session, org: Organisation, purchase_order_id: int, trainee_id: int, period: Period
) -> bytes:
    """One trainee's certificate on one BDC, for staff downloads (API and pages)."""
    get_owned(session, Trainee, trainee_id, org, "stagiaire")
    certificates = certificates_for_order(session, org, purchase_order_id, period, trainee_id)
    if not certificates:
        raise nothing_to_certify(period)
    order = session.get(PurchaseOrder, purchase_order_id)
    return render_certificates(certificates, document_context(org, order))


def certificate_for_trainee(
    session: Session, org: Organisation, trainee: Trainee, period: Period
) -> bytes:
    """The trainee's own certificate for a period, every BDC they follow in one PDF (one page
    per BDC). Called by the staff API and, once phones are bound to trainees, by the
    trainee's own phone route (which must pass the trainee its binding proved)."""
    if trainee.organisation_id != org.id:
        raise NotFound("stagiaire")
    order_ids = session.scalars(
        select(Composante.purchase_order_id)
        .join(Pathway, Pathway.composante_id == Composante.id)
        .where(Pathway.organisation_id == org.id, Pathway.trainee_id == trainee.id)
        .distinct()
    ).all()
    by_order = defaultdict(list)
    for purchase_order_id in sorted(order_ids):
        by_order[purchase_order_id] = certificates_for_order(
            session, org, purchase_order_id, period, trainee.id
        )
    certificates = [cert for certs in by_order.values() for cert in certs]
    if not certificates:
        raise nothing_to_certify(period)
    first_order = session.get(PurchaseOrder, next(k for k, v in by_order.items() if v))
    return render_certificates(certificates, document_context(org, first_order))


def nothing_to_certify(period: Period) -> DomainError:
    return DomainError(
        "NOTHING_TO_CERTIFY",
        f"Aucun parcours ni heure réalisée pour ce stagiaire en {period.label_fr} : "
        "choisissez une autre période.",
        {"period": period.slug},
        status=404,
    )
