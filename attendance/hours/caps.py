"""Contract checks and billable minutes of one BDC and month, read from the database.

The figures come from ``aggregate`` (GROUP BY in the database); the judgement from the pure
functions in ``limits``. Billing (issue 6) prices ``billable_month_hours``; the compliance
view and the monthly declaration show ``cap_checks``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours import limits
from attendance.hours.aggregate import HoursRow, hours_to_date, trainee_month_hours
from attendance.hours.classes import AUTOFORMATION, COMPANY, centre_minutes, distance_minutes
from attendance.models import Composante, Emargement, Organisation, PurchaseOrder, Slot
from attendance.tenancy import get_owned


@dataclass(frozen=True)
class BillableRow:
    """One trainee's minutes of one class on one composante in the month, and how many of
    them may be billed; ``reason`` says, in French, why the rest may not."""

    trainee_id: int
    composante_id: int
    hour_class: str
    minutes: int
    billable_minutes: int
    corrected_minutes: int = 0
    reason: str | None = None


def _by_class(rows: list[HoursRow]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.hour_class] += row.minutes
    return totals


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


def _autoformation_check(order, composantes, to_date_by_class) -> limits.CapCheck:
    rule = limits.CAP_RULES["R3"]
    base = sum(c.contracted_centre_minutes for c in composantes.values())
    return limits.check_autoformation(
        to_date_by_class.get(AUTOFORMATION, 0), base, rule.limit(order.dispositif, order.mode)
    )


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

    bdc = _by_class(to_date)
    checks.append(_autoformation_check(order, composantes, bdc))
    r4 = limits.CAP_RULES["R4"]
    if r4.applies_to(mode):
        checks.append(
            limits.check_distance_share(
                distance_minutes(bdc), centre_minutes(bdc), r4.limit(dispositif, mode)
            )
        )
    checks.extend(group_size_checks(session, org, order, month))

    realised_centre: dict[int, int] = defaultdict(int)
    realised_company: dict[int, int] = defaultdict(int)
    for (_, composante_id), by_class in pathways.items():
        realised_centre[composante_id] += centre_minutes(by_class)
        realised_company[composante_id] += by_class.get(COMPANY, 0)
    checks.extend(
        limits.check_volumes(
            realised_centre, {cid: c.contracted_centre_minutes for cid, c in composantes.items()}
        )
    )
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
    """Realised and billable minutes per trainee, composante and class for ``month``.

    Absences never count (they realise nothing). Company hours are not billed to the Region
    (DOMAIN.md, "Hour classification"). R3: autoformation is billed only up to the cap over
    the BDC's life; the month's billable autoformation is shared among its trainees in
    proportion to their minutes. R10 volumes are figures of ``cap_checks`` (per composante).
    """
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    composantes = _contracted(session, order)
    month_rows = trainee_month_hours(session, org, order.id, month)
    to_date = _by_class(hours_to_date(session, org, order.id, month, by=("hour_class",)))
    r3 = _autoformation_check(order, composantes, to_date)
    cap = r3.figures["cap_minutes"]
    auto_rows = {
        (r.trainee_id, r.composante_id): r.minutes
        for r in month_rows
        if r.hour_class == AUTOFORMATION
    }
    month_auto = sum(auto_rows.values())
    before = to_date.get(AUTOFORMATION, 0) - month_auto
    shares = limits.allocate(
        limits.autoformation_billable_in_month(before, month_auto, cap), auto_rows
    )
    result = []
    for row in month_rows:
        billable, reason = row.minutes, None
        if row.hour_class == COMPANY:
            billable, reason = 0, "Heures en entreprise : non facturées à la Région."
        elif row.hour_class == AUTOFORMATION:
            billable = shares[(row.trainee_id, row.composante_id)]
            if billable < row.minutes:
                reason = "Autoformation au-delà du plafond (R3) : non facturable."
        result.append(
            BillableRow(
                row.trainee_id,
                row.composante_id,
                row.hour_class,
                row.minutes,
                billable,
                row.corrected_minutes,
                reason,
            )
        )
    return result
