"""The compliance view of one BDC and month: what billing staff check before closing it.

Each trainee with hours by class, billable minutes and the worst status of their checks;
every contract check; slots missing a trainee or trainer signature, slots not validated;
every correction of the month (R12: exceptional, shown as such). The page and the API both
render this one structure; every figure comes from a GROUP BY or a filtered query.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.hours import limits
from attendance.hours.aggregate import dialect_of
from attendance.hours.caps import billable_month_hours, cap_checks, present_counts
from attendance.hours.classes import COMPANY, HOUR_CLASSES
from attendance.models import (
    Composante,
    Correction,
    Emargement,
    Organisation,
    Pathway,
    PurchaseOrder,
    Slot,
    Trainee,
    User,
)
from attendance.models.types import utcnow
from attendance.tenancy import get_owned

_SEVERITY = {limits.OK: 0, limits.WARNING: 1, limits.EXCEEDED: 2}


def worst(statuses) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default=limits.OK)


@dataclass
class TraineeLine:
    trainee_id: int
    name: str
    minutes_by_class: dict[str, int]
    total_minutes: int
    billable_minutes: int
    corrected_minutes: int
    status: str
    checks: list[limits.CapCheck] = field(default_factory=list)


@dataclass
class SlotLine:
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    kind: str
    title: str
    composante_code: str
    trainer_name: str | None
    validated: bool
    trainer_signed: bool
    present: int
    missing_trainees: list[str]

    @property
    def needs_attention(self) -> bool:
        return not (self.validated and self.trainer_signed and not self.missing_trainees)


@dataclass
class CorrectionLine:
    correction_id: int
    trainee_name: str
    composante_code: str
    scope: str
    day: date
    hour_class: str
    minutes: int
    reason: str
    validated: bool
    has_attachment: bool
    trainee_id: int | None = None


@dataclass
class ComplianceView:
    purchase_order: PurchaseOrder
    month: date
    trainees: list[TraineeLine]
    checks: list[limits.CapCheck]
    slots: list[SlotLine]
    corrections: list[CorrectionLine]

    @property
    def status(self) -> str:
        return worst(c.status for c in self.checks)

    @property
    def totals_by_class(self) -> dict[str, int]:
        totals = dict.fromkeys(HOUR_CLASSES, 0)
        for line in self.trainees:
            for cls, minutes in line.minutes_by_class.items():
                totals[cls] += minutes
        return totals

    @property
    def slots_missing_trainee_signature(self) -> list[SlotLine]:
        return [s for s in self.slots if s.missing_trainees]

    @property
    def slots_missing_trainer_signature(self) -> list[SlotLine]:
        return [s for s in self.slots if not s.trainer_signed]

    @property
    def slots_not_validated(self) -> list[SlotLine]:
        return [s for s in self.slots if not s.validated]


def compliance_view(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    now: datetime | None = None,
) -> ComplianceView:
    """Assemble the view; ``now`` decides which slots are over (only those can miss a
    signature)."""
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    month = clock.first_of_month(month)
    checks = cap_checks(session, org, order.id, month)
    billable = billable_month_hours(session, org, order.id, month)
    return ComplianceView(
        purchase_order=order,
        month=month,
        trainees=_trainee_lines(session, org, order, month, billable, checks),
        checks=checks,
        slots=slot_lines(session, org, order, month, now or utcnow()),
        corrections=correction_lines(session, org, order, month),
    )


def _trainee_lines(session, org, order, month, billable, checks) -> list[TraineeLine]:
    win = clock.window(month)
    active = (
        select(Pathway.trainee_id)
        .join(Composante)
        .where(
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            Pathway.entry_date < win.end_date,
            func.coalesce(Pathway.effective_exit_date, Pathway.planned_exit_date) >= month,
        )
    )
    ids = {row.trainee_id for row in billable} | set(session.scalars(active))
    names = {
        t.id: t.display_name
        for t in session.scalars(
            select(Trainee).where(Trainee.organisation_id == org.id, Trainee.id.in_(ids))
        )
    }
    by_class: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(HOUR_CLASSES, 0))
    billed: dict[int, int] = defaultdict(int)
    corrected: dict[int, int] = defaultdict(int)
    for row in billable:
        by_class[row.trainee_id][row.hour_class] += row.minutes
        billed[row.trainee_id] += row.billable_minutes
        corrected[row.trainee_id] += row.corrected_minutes
    own_checks: dict[int, list[limits.CapCheck]] = defaultdict(list)
    for check in checks:
        if check.trainee_id is not None:
            own_checks[check.trainee_id].append(check)
    lines = []
    for trainee_id in sorted(ids, key=lambda i: (names.get(i, ""), i)):
        minutes = by_class[trainee_id]
        statuses = [c.status for c in own_checks[trainee_id]]
        if billed[trainee_id] < sum(v for k, v in minutes.items() if k != COMPANY):
            statuses.append(limits.WARNING)  # part of the month is not billable (R3)
        lines.append(
            TraineeLine(
                trainee_id,
                names.get(trainee_id, f"#{trainee_id}"),
                minutes,
                sum(minutes.values()),
                billed[trainee_id],
                corrected[trainee_id],
                worst(statuses),
                own_checks[trainee_id],
            )
        )
    return lines


def slot_lines(
    session: Session, org: Organisation, order: PurchaseOrder, month: date, now: datetime
) -> list[SlotLine]:
    """The month's slots of the BDC with their signature and validation state."""
    win = clock.window(month)
    dialect = dialect_of(session)
    slots = session.execute(
        select(Slot, Composante.code, User.full_name)
        .join(Composante, Composante.id == Slot.composante_id)
        .outerjoin(User, User.id == Slot.trainer_id)
        .where(
            Slot.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            win.holds(Slot.starts_at),
        )
        .order_by(Slot.starts_at, Slot.id)
    ).all()
    missing = _missing_signatures(session, org, order, win, dialect, now)
    present = present_counts(session, org, order.id, month)
    return [
        SlotLine(
            slot.id,
            slot.starts_at,
            slot.ends_at,
            slot.kind,
            slot.title,
            code,
            trainer,
            slot.validated_at is not None,
            slot.trainer_signature_png is not None,
            present.get(slot.id, 0),
            sorted(missing.get(slot.id, [])),
        )
        for slot, code, trainer in slots
    ]


def _missing_signatures(session, org, order, win, dialect, now) -> dict[int, list[str]]:
    """Trainees expected on a finished slot with no sign-in row at all (not even an absence
    recorded by the trainer): on group slots, every pathway of the composante open that day;
    on company slots, the slot's trainee."""
    day = clock.day_sql(Slot.starts_at, win, dialect)
    # The composante match stands outside the OR so that both databases join through the
    # pathway's composante index instead of testing every pathway against every slot.
    expected = and_(
        Pathway.composante_id == Slot.composante_id,
        or_(
            and_(
                Slot.kind != COMPANY,
                Pathway.entry_date <= day,
                func.coalesce(Pathway.effective_exit_date, Pathway.planned_exit_date) >= day,
            ),
            and_(Slot.kind == COMPANY, Pathway.trainee_id == Slot.trainee_id),
        ),
    )
    rows = session.execute(
        select(Slot.id, Trainee.last_name, Trainee.first_name)
        .join(Composante, Composante.id == Slot.composante_id)
        .join(Pathway, expected)
        .join(Trainee, Trainee.id == Pathway.trainee_id)
        .outerjoin(
            Emargement,
            and_(Emargement.slot_id == Slot.id, Emargement.trainee_id == Pathway.trainee_id),
        )
        .where(
            Slot.organisation_id == org.id,
            Pathway.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            win.holds(Slot.starts_at),
            Slot.ends_at <= now,
            Emargement.id.is_(None),
        )
    )
    missing: dict[int, list[str]] = defaultdict(list)
    for slot_id, last, first in rows:
        missing[slot_id].append(f"{last.upper()} {first}")
    return missing


def correction_lines(
    session: Session, org: Organisation, order: PurchaseOrder, month: date
) -> list[CorrectionLine]:
    """R12: every correction dated in the month, validated or not, with its paper sheet."""
    rows = session.execute(
        select(Correction, Trainee.last_name, Trainee.first_name, Composante.code)
        .join(Trainee, Trainee.id == Correction.trainee_id)
        .join(Composante, Composante.id == Correction.composante_id)
        .where(
            Correction.organisation_id == org.id,
            Composante.purchase_order_id == order.id,
            Correction.day >= month,
            Correction.day < clock.next_month(month),
        )
        .order_by(Correction.day, Correction.id)
    ).all()
    return [
        CorrectionLine(
            c.id,
            f"{last.upper()} {first}",
            code,
            c.scope,
            c.day,
            c.hour_class,
            c.minutes,
            c.reason,
            c.validated,
            c.attachment is not None,
            c.trainee_id,
        )
        for c, last, first, code in rows
    ]


@dataclass
class AwaitingSlot:
    """A past slot its trainer has not validated yet, and how many local days ago it was."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    composante_code: str
    trainer_name: str | None
    days_ago: int


@dataclass
class AwaitingValidation:
    total: int
    slots: list[AwaitingSlot]


def awaiting_validation(
    session: Session,
    org: Organisation,
    today: date,
    trainer_id: int | None = None,
    limit: int = 50,
) -> AwaitingValidation:
    """Slots of a past local day not validated — the same fact as a month's « séance non
    validée » blocker (``validated_at`` empty), across every BDC: the trainer's to-do list
    (``trainer_id``) or everyone's for billing staff. Oldest first, ``limit`` of them, with
    the full count."""
    scope = [
        Slot.organisation_id == org.id,
        Slot.validated_at.is_(None),
        Slot.starts_at < clock.local_midnight_utc(today),
    ]
    if trainer_id is not None:
        scope.append(Slot.trainer_id == trainer_id)
    total = session.scalar(select(func.count(Slot.id)).where(*scope)) or 0
    rows = session.execute(
        select(Slot, Composante.code, User.full_name)
        .join(Composante, Composante.id == Slot.composante_id)
        .outerjoin(User, User.id == Slot.trainer_id)
        .where(*scope)
        .order_by(Slot.starts_at, Slot.id)
        .limit(limit)
    ).all()
    return AwaitingValidation(
        total,
        [
            AwaitingSlot(
                slot.id,
                slot.starts_at,
                slot.ends_at,
                slot.title,
                code,
                trainer,
                (today - clock.local_day(slot.starts_at)).days,
            )
            for slot, code, trainer in rows
        ],
    )
