"""R10 (FAQ 55, CCTP §3.1.2) at write time: prescribed hours within the contracted volume,
after fungibility across the BDC's composantes. Pathway writes and composante edits both
end here."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.models import Composante, Pathway

GROUP_HOUR = "group_hour"


def check_volumes(session: Session, composante: Composante) -> None:
    """R10 over the composante's BDC, centre and company hours separately."""
    volumes = composante_volumes(session, composante.purchase_order_id)
    if composante.billing_unit != GROUP_HOUR:
        rules.check_contracted_volume(
            composante.id, volumes["prescribed_centre"], volumes["contracted_centre"], "centre"
        )
    rules.check_contracted_volume(
        composante.id, volumes["prescribed_company"], volumes["contracted_company"], "entreprise"
    )


def composante_volumes(session: Session, purchase_order_id: int) -> dict[str, dict[int, int]]:
    """Contracted and prescribed minutes per composante of one BDC, for R10.

    R5: an e-formation (group-hour) composante's centre volume counts group-hours of its
    synchronous slots, not trainees' hours, so its prescriptions are not summed against it
    (only R1/R2 bound them) and it lends nothing to trainee-hour composantes: it is left out
    of the centre figures. Company hours are trainee-hours everywhere."""
    contracted_centre, contracted_company = {}, {}
    for c in session.scalars(
        select(Composante).where(Composante.purchase_order_id == purchase_order_id)
    ):
        if c.billing_unit != GROUP_HOUR:
            contracted_centre[c.id] = c.contracted_centre_minutes
        contracted_company[c.id] = c.contracted_company_minutes
    prescribed_centre = dict.fromkeys(contracted_centre, 0)
    prescribed_company = dict.fromkeys(contracted_company, 0)
    rows = session.execute(
        select(
            Pathway.composante_id,
            func.sum(Pathway.prescribed_centre_minutes),
            func.sum(Pathway.prescribed_company_minutes),
        )
        .join(Composante)
        .where(Composante.purchase_order_id == purchase_order_id)
        .group_by(Pathway.composante_id)
    )
    for composante_id, centre, company in rows:
        if composante_id in prescribed_centre:
            prescribed_centre[composante_id] = int(centre or 0)
        prescribed_company[composante_id] = int(company or 0)
    return {
        "contracted_centre": contracted_centre,
        "contracted_company": contracted_company,
        "prescribed_centre": prescribed_centre,
        "prescribed_company": prescribed_company,
    }
