"""Contract checks and billable minutes of one BDC and month, read from the database.

The figures come from ``aggregate`` (GROUP BY in the database); the judgement from the pure
functions in ``limits``; what the caps leave billable month after month from ``billable``.
The compliance view and the monthly declaration show ``cap_checks``: flags to explain,
never reasons to refuse a month (R3, R10 in DOMAIN.md).
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours import limits
from attendance.hours.aggregate import hours_to_date
from attendance.hours.billable import BillableRow, live_month_figures
from attendance.hours.classes import COMPANY, centre_minutes
from attendance.models import Composante, Emargement, Organisation, PurchaseOrder, Slot
from attendance.tenancy import get_owned


def _contracted(session: Session, order: PurchaseOrder) -> dict[int, Composante]:
    return {
        c.id: c
        for c in session.scalars(
            select(Composante).where(
                Composante.organisation_id == order.organisation_id,
                Composante.purchase_order_id == order.id,
            )
        )
    }


def cap_checks(
    session: Session, org: Organisation, purchase_order_id: int, month: date
) -> list[limits.CapCheck]:
    """Every check that applies to the BDC's mode, on hours realised up to the end of
    ``month`` (R1, R2, R3, R4, R10) or during it (R7), each with status and figures."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    dispositif, mode = order.dispositif, order.mode
    composantes = _contracted(session, order)
    to_date = hours_to_date(session, org, order.id, month)
    checks: list[limits.CapCheck] = []

    pathways: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in to_date:
        pathways[(row.trainee_id, row.composante_id)][row.hour_class] += row.minutes
    for (trainee_id, composante_id), by_class in sorted(pathways.items()):
        checks.extend(
            limits.check_pathway(
                trainee_id,
                composante_id,
                centre_minutes(by_class),
                by_class.get(COMPANY, 0),
                limits.CAP_RULES["R1"].limit(dispositif, mode),
                limits.CAP_RULES["R2"].limit(dispositif, mode),
            )
        )

    figures = live_month_figures(session, org, order, month)
    checks.extend(figures.checks)
    checks.extend(group_size_checks(session, org, order, month))
    realised_company: dict[int, int] = defaultdict(int)
    for (_, composante_id), by_class in pathways.items():
        realised_company[composante_id] += by_class.get(COMPANY, 0)
    checks.extend(
        limits.check_volumes(
            realised_company,
            {cid: c.contracted_company_minutes for cid, c in composantes.items()},
            "entreprise",
        )
    )
    return checks


def group_size_checks(
    session: Session, org: Organisation, order: PurchaseOrder, month: date
) -> list[limits.CapCheck]:
    """R7: one warning per slot of the month where more trainees were present than the
    dispositif recommends; a single ok line with the largest group otherwise."""
    rule = limits.CAP_RULES["R7"]
    largest = rule.limit(order.dispositif, order.mode)
    counts = present_counts(session, org, order.id, month)
    over = [(slot_id, n) for slot_id, n in counts.items() if n > largest]
    if not over:
        biggest = max(counts.values(), default=0)
        return [
            limits.CapCheck(
                "R7",
                limits.OK,
                f"Groupe le plus nombreux du mois : {biggest} stagiaires ({largest} au plus).",
                {"largest_group": biggest, "limit": largest},
            )
        ]
    return [limits.check_group_size(slot_id, n, largest) for slot_id, n in sorted(over)]


def present_counts(
    session: Session, org: Organisation, purchase_order_id: int, month: date
) -> dict[int, int]:
    """Trainees present per group slot of the month (company slots are one trainee's)."""
    win = clock.window(month)
    rows = session.execute(
        select(Slot.id, func.count(Emargement.id))
        .join(Emargement, Emargement.slot_id == Slot.id)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(
            Slot.organisation_id == org.id,
            Composante.purchase_order_id == purchase_order_id,
            Slot.kind != COMPANY,
            win.holds(Slot.starts_at),
            Emargement.status == "present",
        )
        .group_by(Slot.id)
    )
    return {slot_id: int(n) for slot_id, n in rows}


def billable_month_hours(
    session: Session, org: Organisation, purchase_order_id: int, month: date
) -> list[BillableRow]:
    """Realised and billable minutes per trainee, composante and class for ``month``, after
    the caps as ``billable`` allocates them month after month (R3, R4; company hours are not
    billed to the Region; R10 is a composante figure)."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    return live_month_figures(session, org, order, month).rows
