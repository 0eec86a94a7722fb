"""The monthly declaration (déclaration de suivi) of one BDC: what billing staff used to re-type
into the Region's system, computed from the hours engine.

One row per trainee and composante (identity, entry/exit, hours centre split présentiel /
FAD / autoformation, company hours, absences, corrections, cap flags) and a day-by-day grid.
Every figure comes from GROUP BY queries; Python only arranges the aggregated rows.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours.aggregate import day_minutes, dialect_of
from attendance.hours.caps import billable_month_hours, cap_checks
from attendance.hours.classes import (
    AUTOFORMATION,
    CENTRE,
    CENTRE_CLASSES,
    COMPANY,
    DISTANCE,
    REGROUPEMENT,
)
from attendance.hours.compliance import compliance_view
from attendance.hours.limits import EXCEEDED, OK
from attendance.models import (
    Composante,
    Emargement,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
)
from attendance.months.lock import month_label

MINUTE_KEYS = (
    "presentiel_minutes",
    "fad_minutes",
    "autoformation_minutes",
    "autoformation_over_cap_minutes",
    "regroupement_minutes",
    "centre_minutes",
    "company_minutes",
    "absence_minutes",
    "correction_minutes",
)
_CLASS_KEYS = {
    CENTRE: "presentiel_minutes",
    DISTANCE: "fad_minutes",
    AUTOFORMATION: "autoformation_minutes",
    REGROUPEMENT: "regroupement_minutes",
    COMPANY: "company_minutes",
}


def month_days(month: date) -> list[date]:
    days, day = [], month
    while day.month == month.month:
        days.append(day)
        day += timedelta(days=1)
    return days


def _pathways(session: Session, org: Organisation, order: PurchaseOrder, month: date):
    """Pathways open at some point of the month (R18 dates), with their trainee and composante."""
    end = clock.next_month(month)
    return session.execute(
        select(Pathway, Trainee, Composante)
        .join(Trainee, Trainee.id == Pathway.trainee_id)
        .join(Composante, Composante.id == Pathway.composante_id)
        .where(
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            Pathway.entry_date < end,
            or_(Pathway.effective_exit_date.is_(None), Pathway.effective_exit_date >= month),
        )
        .order_by(Trainee.last_name, Trainee.first_name, Trainee.id, Composante.code)
    ).all()


def _absence_minutes(session, org, order, month) -> dict[tuple[int, int], int]:
    """Scheduled time not realised: whole slots marked absent, late arrivals, early leaves."""
    win = clock.window(month)
    dialect = dialect_of(session)
    scheduled = clock.scheduled_minutes(Slot.starts_at, Slot.ends_at, dialect)
    missed = case(
        (Emargement.status == "absent", scheduled),
        else_=Emargement.late_minutes + Emargement.early_leave_minutes,
    )
    rows = session.execute(
        select(Emargement.trainee_id, Slot.composante_id, func.sum(missed))
        .join(Slot, Slot.id == Emargement.slot_id)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(
            Emargement.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            win.holds(Slot.starts_at),
        )
        .group_by(Emargement.trainee_id, Slot.composante_id)
    )
    return {(t, c): int(m or 0) for t, c, m in rows}


def build_declaration(
    session: Session, org: Organisation, order: PurchaseOrder, month: date, progress=None
) -> dict:
    """The month's declaration as plain JSON-able data: ``rows``, ``grid``, ``totals``."""
    month = clock.first_of_month(month)
    billable = billable_month_hours(session, org, order.id, month)
    checks = cap_checks(session, org, order.id, month)
    absences = _absence_minutes(session, org, order, month)
    days = day_minutes(session, org, order.id, month)
    by_pair: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(MINUTE_KEYS, 0)
    )
    for line in billable:
        figures = by_pair[(line.trainee_id, line.composante_id)]
        figures[_CLASS_KEYS[line.hour_class]] += line.minutes
        if line.hour_class in CENTRE_CLASSES:
            figures["centre_minutes"] += line.minutes
        if line.hour_class == AUTOFORMATION:
            figures["autoformation_over_cap_minutes"] += line.minutes - line.billable_minutes
        figures["correction_minutes"] += line.corrected_minutes
    flags: dict[int, list[str]] = defaultdict(list)
    for check in checks:
        if check.trainee_id is not None and check.status != OK:
            marker = "dépassé" if check.status == EXCEEDED else "alerte"
            flags[check.trainee_id].append(f"{check.rule} {marker}")

    rows, grid = [], []
    pathways = _pathways(session, org, order, month)
    if progress is not None:
        progress.total = len(pathways)
    for pathway, trainee, composante in pathways:
        if progress is not None:
            progress.update()
        pair = (trainee.id, composante.id)
        figures = dict(by_pair.get(pair) or dict.fromkeys(MINUTE_KEYS, 0))
        figures["absence_minutes"] = absences.get(pair, 0)
        row_flags = list(flags.get(trainee.id, []))
        if figures["correction_minutes"]:
            row_flags.append("Correctif horaire (exceptionnel)")
        if pathway.status == "abandon":
            row_flags.append("Abandon")
        identity = {
            "trainee_id": trainee.id,
            "last_name": trainee.last_name,
            "first_name": trainee.first_name,
            "composante_code": composante.code,
        }
        rows.append(
            {
                **identity,
                "external_id": trainee.external_id,
                "composante_id": composante.id,
                "entry_date": pathway.entry_date.isoformat(),
                "planned_exit_date": pathway.planned_exit_date.isoformat(),
                "effective_exit_date": (
                    pathway.effective_exit_date.isoformat() if pathway.effective_exit_date else None
                ),
                "status": pathway.status,
                **figures,
                "flags": row_flags,
            }
        )
        grid.append({**identity, "days": dict(sorted(days.get(pair, {}).items()))})
    totals = {key: sum(row[key] for row in rows) for key in MINUTE_KEYS}
    totals["trainees"] = len({row["trainee_id"] for row in rows})
    return {"rows": rows, "grid": grid, "totals": totals}


def blockers(session: Session, org: Organisation, order: PurchaseOrder, month: date) -> list[dict]:
    """What stops validation, in French: unsigned or unvalidated slots, corrections not yet
    validated. Never a cap: an excess is shown and left unbilled (R3, R4, R10)."""
    view = compliance_view(session, org, order.id, month)
    found = []
    for slot in view.slots:
        when = f"{slot.title or slot.composante_code} du {slot.starts_at:%d/%m}"
        if slot.missing_trainees:
            found.append(
                {
                    "kind": "unsigned",
                    "slot_id": slot.slot_id,
                    "message": f"{when} : émargement manquant pour "
                    + ", ".join(slot.missing_trainees),
                }
            )
        if not slot.validated:
            found.append(
                {
                    "kind": "not_validated",
                    "slot_id": slot.slot_id,
                    "message": f"{when} : séance non validée par le formateur",
                }
            )
    for correction in view.corrections:
        if not correction.validated:
            found.append(
                {
                    "kind": "correction_pending",
                    "correction_id": correction.correction_id,
                    "message": f"Correction du {correction.day:%d/%m} pour "
                    f"{correction.trainee_name} ({correction.composante_code}) : à valider "
                    "ou à supprimer",
                }
            )
    return found


def title(order: PurchaseOrder, month: date) -> str:
    return f"Déclaration de suivi — BDC {order.number} — {month_label(month)}"
