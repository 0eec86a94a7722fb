"""The monthly declaration (déclaration de suivi) of one BDC: what billing staff used to re-type
into the Region's system, computed from the hours engine.

One row per trainee and composante (identity, SIRET and site, entry/exit, hours of each
class apart — présentiel, FAD, autoformation, regroupement, company — as SIGMA counts them,
absences, corrections, the pathway's own cap flags), a per-composante summary (R10) and a
day-by-day grid. Every figure comes from GROUP BY queries; Python only arranges the rows.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
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
from attendance.hours.compliance import correction_lines, slot_lines
from attendance.hours.limits import EXCEEDED, OK
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
)
from attendance.models.types import utcnow
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
    """Pathways listed in the month, with their trainee and composante: those open at some
    point of it (R18 dates: entered by its end, and not left before its start — on the
    effective exit, else the planned one), and any other with hours in it: hours are never
    hidden, even past a planned exit."""
    end = clock.next_month(month)
    win = clock.window(month)
    left_on = func.coalesce(Pathway.effective_exit_date, Pathway.planned_exit_date)
    signed = exists().where(
        Emargement.trainee_id == Pathway.trainee_id,
        Emargement.status == "present",
        Slot.id == Emargement.slot_id,
        Slot.composante_id == Pathway.composante_id,
        win.holds(Slot.starts_at),
    )
    corrected = exists().where(
        Correction.trainee_id == Pathway.trainee_id,
        Correction.composante_id == Pathway.composante_id,
        Correction.validated.is_(True),
        Correction.minutes > 0,
        Correction.day >= month,
        Correction.day < end,
    )
    return session.execute(
        select(Pathway, Trainee, Composante)
        .join(Trainee, Trainee.id == Pathway.trainee_id)
        .join(Composante, Composante.id == Pathway.composante_id)
        .where(
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            or_(and_(Pathway.entry_date < end, left_on >= month), signed, corrected),
        )
        .order_by(Trainee.last_name, Trainee.first_name, Trainee.id, Composante.code)
    ).all()


def _sites(session, org, order, month) -> dict[tuple[int, int], str]:
    """Where each trainee was expected in the month on each composante: the sites of the
    slots they have a sign-in (or an absence) on, company periods aside."""
    win = clock.window(month)
    rows = session.execute(
        select(Emargement.trainee_id, Slot.composante_id, Slot.site)
        .join(Slot, Slot.id == Emargement.slot_id)
        .join(Composante, Composante.id == Slot.composante_id)
        .where(
            Emargement.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            win.holds(Slot.starts_at),
            Slot.kind != COMPANY,
            Slot.site.is_not(None),
            Slot.site != "",
        )
        .group_by(Emargement.trainee_id, Slot.composante_id, Slot.site)
        .order_by(Slot.site)
    )
    sites: dict[tuple[int, int], list[str]] = defaultdict(list)
    for trainee_id, composante_id, site in rows:
        sites[(trainee_id, composante_id)].append(site)
    return {pair: " / ".join(names) for pair, names in sites.items()}


def _flags(checks) -> tuple[dict, dict]:
    """Cap flags where they belong: a pathway's check (R1, R2) on that pathway's row only — an
    excess on one composante says nothing of the trainee's other pathways — and a check of
    a composante as a whole (R10) in the per-composante summary, not on anyone's row."""
    by_pair: dict[tuple[int, int | None], list[str]] = defaultdict(list)
    by_composante: dict[int, list[str]] = defaultdict(list)
    for check in checks:
        if check.status == OK:
            continue
        marker = "dépassé" if check.status == EXCEEDED else "alerte"
        if check.trainee_id is not None:
            by_pair[(check.trainee_id, check.composante_id)].append(f"{check.rule} {marker}")
        elif check.composante_id is not None:
            by_composante[check.composante_id].append(f"{check.rule} {marker} : {check.message}")
    return by_pair, by_composante


def _composante_summary(order: PurchaseOrder, rows: list[dict], flags: dict) -> list[dict]:
    """Per composante: its figures, class by class, and its own checks (R10)."""
    summary = []
    for composante in order.composantes:
        own = [row for row in rows if row["composante_id"] == composante.id]
        if not own and composante.id not in flags:
            continue
        summary.append(
            {
                "composante_id": composante.id,
                "composante_code": composante.code,
                **{key: sum(row[key] for row in own) for key in MINUTE_KEYS},
                "trainees": len({row["trainee_id"] for row in own}),
                "flags": flags.get(composante.id, []),
            }
        )
    return summary


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
    """The month's declaration as plain JSON-able data: ``rows``, ``grid``, ``totals``; the
    per-composante summary sits in ``totals["composantes"]`` (a snapshot holds these three)."""
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
    flags, composante_flags = _flags(checks)
    sites = _sites(session, org, order, month)
    bdc_sites = " / ".join(order.sites or [])

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
        row_flags = [*flags.get(pair, []), *flags.get((trainee.id, None), [])]
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
                "siret": org.siret,
                "site": sites.get(pair) or bdc_sites,
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
    totals["composantes"] = _composante_summary(order, rows, composante_flags)
    return {"rows": rows, "grid": grid, "totals": totals}


def blockers(session: Session, org: Organisation, order: PurchaseOrder, month: date) -> list[dict]:
    """What stops validation, in French: unsigned or unvalidated slots, corrections not yet
    validated. Never a cap: an excess is shown and left unbilled (R3, R4, R10).

    Reads only the month's slots and corrections: the caps and billable hours the compliance
    view also computes (most of its cost) play no part in what blocks."""
    month = clock.first_of_month(month)
    found = []
    for slot in slot_lines(session, org, order, month, utcnow()):
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
    for correction in correction_lines(session, org, order, month):
        if not correction.validated:
            found.append(
                {
                    "kind": "correction_pending",
                    "correction_id": correction.correction_id,
                    "trainee_id": correction.trainee_id,
                    "message": f"Correction du {correction.day:%d/%m} pour "
                    f"{correction.trainee_name} ({correction.composante_code}) : à valider "
                    "ou à supprimer",
                }
            )
    return found


def title(order: PurchaseOrder, month: date) -> str:
    return f"Déclaration de suivi — BDC {order.number} — {month_label(month)}"
