"""What each month of a BDC may bill, month after month, and the figures a validation freezes.

The caps (DOMAIN.md R3, R4, R10, R5) are billing limits, not month blockers: what goes
beyond one is shown, explained (which composante, how many hours, why) and left unbilled
**once**, in the month where it happens. Each month starts from the allocation the earlier
months made (``Carry``): the autoformation and distance minutes already billed under R3 and
R4, each composante's volume already used or lent under R10. A validated month's figures
are frozen on its ``MonthPeriod.figures`` (quantities, unit prices and the carry), so
billing reads what was validated and later months build on it, whatever is edited later.

Units (R5): a trainee-hour composante's quantity is trainee-minutes (centre, FAD, and
autoformation within R3); an Occitanie e-formation composante's is group-minutes of its
held tutorat and regroupement slots (``group_hours``), and its contracted volume and R10
are in those units. Fungibility moves hours only between composantes of the same unit.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.french import hours_fr as hours
from attendance.hours import limits
from attendance.hours.aggregate import HoursRow, realised_hours
from attendance.hours.classes import (
    AUTOFORMATION,
    CENTRE_CLASSES,
    COMPANY,
    DISTANCE,
    HOUR_CLASSES,
)
from attendance.hours.group_hours import GroupMinutes, held_group_minutes
from attendance.models import Composante, MonthPeriod, Organisation, Pathway, PurchaseOrder

GROUP_HOUR = "group_hour"


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


@dataclass(frozen=True)
class NotBilled:
    """Minutes shown and not billed, with the reason in French."""

    code: str  # company, autoformation_cap, distance_share, autoformation_included, volume
    minutes: int
    reason: str


@dataclass
class ComposanteMonth:
    """One composante in one month: realised minutes per class, the quantity billable before
    R10 (trainee- or group-minutes), what R10 lets it bill, at which unit price."""

    composante_id: int
    code: str
    title: str
    billing_unit: str
    unit_price: Decimal
    realised_by_class: dict[str, int]
    quantity: int
    billable: int
    group_slots: int = 0
    not_billed: list[NotBilled] = field(default_factory=list)
    corrected_minutes: int = 0  # R12: realised minutes no trainee signed for


@dataclass
class Carry:
    """The allocation made up to the end of a month, where the next month starts from."""

    autoformation_billed: int = 0  # R3, trainee-minutes billed under the cap
    distance_billed: int = 0  # R4, hybrid BDCs
    centre_counted: int = 0  # R4's base: centre minutes realised so far
    autoformation_realised: int = 0  # R3 for e-formation (a flag: included in the price)
    volume_used: dict[int, int] = field(default_factory=dict)  # R10, per composante


@dataclass
class MonthFigures:
    month: date
    frozen: bool
    composantes: list[ComposanteMonth]
    carry: Carry
    checks: list[limits.CapCheck] = field(default_factory=list)
    rows: list[BillableRow] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "month": self.month.isoformat(),
            "composantes": [
                {**asdict(c), "unit_price": str(c.unit_price)} for c in self.composantes
            ],
            "carry": {
                **asdict(self.carry),
                "volume_used": {str(k): v for k, v in self.carry.volume_used.items()},
            },
            "checks": [asdict(check) for check in self.checks],
        }

    @classmethod
    def from_json(cls, data: dict) -> "MonthFigures":
        composantes = [
            ComposanteMonth(
                **{
                    **c,
                    "unit_price": Decimal(c["unit_price"]),
                    "not_billed": [NotBilled(**item) for item in c["not_billed"]],
                }
            )
            for c in data["composantes"]
        ]
        carry = dict(data["carry"])
        carry["volume_used"] = {int(k): v for k, v in carry["volume_used"].items()}
        return cls(
            month=date.fromisoformat(data["month"]),
            frozen=True,
            composantes=composantes,
            carry=Carry(**carry),
            checks=[limits.CapCheck(**check) for check in data.get("checks", [])],
        )

    def composante(self, composante_id: int) -> ComposanteMonth | None:
        return next((c for c in self.composantes if c.composante_id == composante_id), None)


@dataclass
class _Context:
    """What every month of the BDC is computed against."""

    order: PurchaseOrder
    composantes: list[Composante]
    autoformation_cap: int  # R3, trainee-hour composantes, minutes
    autoformation_percent: int
    autoformation_base: int
    eformation_base: int  # R3 for e-formation: the trainees' prescribed centre minutes
    eformation_percent: int
    distance_percent: int | None  # R4, hybrid BDCs only


def _context(session: Session, order: PurchaseOrder) -> _Context:
    composantes = list(
        session.scalars(
            select(Composante)
            .where(
                Composante.organisation_id == order.organisation_id,
                Composante.purchase_order_id == order.id,
            )
            .order_by(Composante.id)
        )
    )
    dispositif, mode = order.dispositif, order.mode
    base = sum(c.contracted_centre_minutes for c in composantes if c.billing_unit != GROUP_HOUR)
    percent = limits.CAP_RULES["R3"].limit(dispositif, mode)
    group_ids = [c.id for c in composantes if c.billing_unit == GROUP_HOUR]
    eformation_base = 0
    if group_ids:
        eformation_base = int(
            session.scalar(
                select(func.coalesce(func.sum(Pathway.prescribed_centre_minutes), 0)).where(
                    Pathway.organisation_id == order.organisation_id,
                    Pathway.composante_id.in_(group_ids),
                )
            )
        )
    r4 = limits.CAP_RULES["R4"]
    return _Context(
        order=order,
        composantes=composantes,
        autoformation_cap=limits.percent_of(base, percent),
        autoformation_percent=percent,
        autoformation_base=base,
        eformation_base=eformation_base,
        eformation_percent=limits.CAP_RULES["R3"].limit(dispositif, "e_formation"),
        distance_percent=r4.limit(dispositif, mode) if r4.applies_to(mode) else None,
    )


def _names(ids, by_id) -> str:
    return ", ".join(by_id[cid].code for cid in sorted(ids))


def _compute_month(
    ctx: _Context,
    month: date,
    rows: list[HoursRow],
    held: dict[int, GroupMinutes],
    before: Carry,
) -> MonthFigures:
    """One month computed from its realised rows, starting from ``before``."""
    by_id = {c.id: c for c in ctx.composantes}
    group = {cid for cid, c in by_id.items() if c.billing_unit == GROUP_HOUR}
    rows = [r for r in rows if r.composante_id in by_id]
    trainee_rows = [r for r in rows if r.composante_id not in group]

    # R3: autoformation of trainee-hour composantes within the BDC's cap.
    auto = {
        (r.trainee_id, r.composante_id): r.minutes
        for r in trainee_rows
        if r.hour_class == AUTOFORMATION
    }
    month_auto = sum(auto.values())
    auto_billable = limits.room_in_month(
        month_auto, ctx.autoformation_cap, before.autoformation_billed
    )
    auto_share = limits.allocate(auto_billable, auto)

    # R4: in a hybrid BDC, distance (FAD + billable autoformation) within a share of the
    # centre hours realised so far.
    month_centre = sum(r.minutes for r in trainee_rows if r.hour_class in CENTRE_CLASSES)
    distance = {
        (r.trainee_id, r.composante_id, r.hour_class): (
            auto_share[(r.trainee_id, r.composante_id)]
            if r.hour_class == AUTOFORMATION
            else r.minutes
        )
        for r in trainee_rows
        if r.hour_class in (DISTANCE, AUTOFORMATION)
    }
    month_distance = sum(distance.values())
    distance_share = distance
    distance_billable = month_distance
    distance_cap = None
    if ctx.distance_percent is not None:
        distance_cap = limits.percent_of(before.centre_counted + month_centre, ctx.distance_percent)
        distance_billable = limits.room_in_month(
            month_distance, distance_cap, before.distance_billed
        )
        distance_share = limits.allocate(distance_billable, distance)

    billable_rows = []
    skipped: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        billable, reason = r.minutes, None
        if r.hour_class == COMPANY:
            billable, reason = 0, "Heures en entreprise : non facturées à la Région."
        elif r.composante_id in group:
            if r.hour_class == AUTOFORMATION:
                reason = "Autoformation incluse dans le prix de l'heure-groupe (R5)."
        elif r.hour_class in (DISTANCE, AUTOFORMATION):
            billable = distance_share[(r.trainee_id, r.composante_id, r.hour_class)]
            kept = r.minutes
            if r.hour_class == AUTOFORMATION:
                kept = auto_share[(r.trainee_id, r.composante_id)]
                skipped[r.composante_id]["autoformation_cap"] += r.minutes - kept
            skipped[r.composante_id]["distance_share"] += kept - billable
            if kept < r.minutes:
                reason = "Autoformation au-delà du plafond (R3) : non facturée."
            elif billable < r.minutes:
                reason = "À distance au-delà de la part autorisée (R4) : non facturée."
        billable_rows.append(
            BillableRow(
                r.trainee_id,
                r.composante_id,
                r.hour_class,
                r.minutes,
                billable,
                r.corrected_minutes,
                reason,
            )
        )

    realised: dict[int, dict[str, int]] = {cid: dict.fromkeys(HOUR_CLASSES, 0) for cid in by_id}
    quantity = dict.fromkeys(by_id, 0)
    corrected = dict.fromkeys(by_id, 0)
    for row in billable_rows:
        realised[row.composante_id][row.hour_class] += row.minutes
        corrected[row.composante_id] += row.corrected_minutes
        if row.composante_id not in group and row.hour_class != COMPANY:
            quantity[row.composante_id] += row.billable_minutes
    slots = {}
    for cid in group:
        entry = held.get(cid)
        quantity[cid] = entry.minutes if entry else 0
        slots[cid] = entry.slots if entry else 0

    # R10, per unit: fungibility never mixes trainee-minutes and group-minutes.
    billable, used_after, borrowed = {}, {}, {}
    for members in ({c for c in by_id if c not in group}, group):
        if not members:
            continue
        allocation = limits.allocate_volumes(
            {c: quantity[c] for c in members},
            {c: by_id[c].contracted_centre_minutes for c in members},
            {c: before.volume_used.get(c, 0) for c in members},
        )
        billable.update(allocation.billable)
        used_after.update(allocation.used_after)
        borrowed.update(allocation.borrowed)

    composantes = []
    for cid, c in by_id.items():
        items = _not_billed(c, cid in group, realised[cid], skipped[cid])
        refused = quantity[cid] - billable[cid]
        unit = "heures-groupe" if cid in group else "heures"
        if refused:
            items.append(
                NotBilled(
                    "volume",
                    refused,
                    f"{c.code} : {hours(refused)} au-delà du volume contractualisé "
                    f"({hours(c.contracted_centre_minutes)} {unit}), sans heure non utilisée "
                    "d'une autre composante pour les couvrir (R10) : non facturées.",
                )
            )
        composantes.append(
            ComposanteMonth(
                composante_id=cid,
                code=c.code,
                title=c.title,
                billing_unit=c.billing_unit,
                unit_price=Decimal(c.unit_price),
                realised_by_class=realised[cid],
                quantity=quantity[cid],
                billable=billable[cid],
                group_slots=slots.get(cid, 0),
                not_billed=items,
                corrected_minutes=corrected[cid],
            )
        )

    group_auto = sum(
        r.minutes for r in rows if r.composante_id in group and r.hour_class == AUTOFORMATION
    )
    after = Carry(
        autoformation_billed=before.autoformation_billed + auto_billable,
        distance_billed=before.distance_billed + distance_billable,
        centre_counted=before.centre_counted + month_centre,
        autoformation_realised=before.autoformation_realised + group_auto,
        volume_used={**before.volume_used, **used_after},
    )
    figures = MonthFigures(month, False, composantes, after, rows=billable_rows)
    figures.checks = _checks(ctx, figures, before, borrowed, distance_cap)
    return figures


def _not_billed(
    c: Composante, group: bool, realised: dict[str, int], skipped: dict[str, int]
) -> list[NotBilled]:
    items = []
    if realised.get(COMPANY):
        items.append(
            NotBilled(
                "company",
                realised[COMPANY],
                f"Entreprise : {hours(realised[COMPANY])} suivies, non facturées à la Région.",
            )
        )
    if group and realised.get(AUTOFORMATION):
        items.append(
            NotBilled(
                "autoformation_included",
                realised[AUTOFORMATION],
                f"Autoformation : {hours(realised[AUTOFORMATION])} incluses dans le prix de "
                "l'heure-groupe (R5), non facturées à part.",
            )
        )
    if skipped.get("autoformation_cap"):
        items.append(
            NotBilled(
                "autoformation_cap",
                skipped["autoformation_cap"],
                f"{c.code} : autoformation au-delà du plafond du bon de commande (R3), "
                f"{hours(skipped['autoformation_cap'])} non facturées.",
            )
        )
    if skipped.get("distance_share"):
        items.append(
            NotBilled(
                "distance_share",
                skipped["distance_share"],
                f"{c.code} : heures à distance au-delà de la part autorisée d'un parcours "
                f"hybride (R4), {hours(skipped['distance_share'])} non facturées.",
            )
        )
    return items


def _checks(
    ctx: _Context,
    figures: MonthFigures,
    before: Carry,
    borrowed: dict[int, dict[int, int]],
    distance_cap: int | None,
) -> list[limits.CapCheck]:
    """R3, R4 and R10 as the month's figures show them: an excess of the month is
    « exceeded » (shown, not billed, never a blocker); near the limit a warning."""
    by_id = {c.id: c for c in ctx.composantes}
    after = figures.carry
    checks = []

    def skipped(code: str) -> dict[int, int]:
        return {
            c.composante_id: item.minutes
            for c in figures.composantes
            for item in c.not_billed
            if item.code == code
        }

    if any(c.billing_unit != GROUP_HOUR for c in ctx.composantes):
        over = skipped("autoformation_cap")
        excess = sum(over.values())
        cap = ctx.autoformation_cap
        status = limits.EXCEEDED if excess else limits.grade(after.autoformation_billed, cap)
        message = (
            f"Autoformation : {hours(after.autoformation_billed)} facturées pour "
            f"{hours(cap)} autorisées ({ctx.autoformation_percent} % des "
            f"{hours(ctx.autoformation_base)} d'heures centre du bon de commande)."
        )
        if excess:
            message += (
                f" Ce mois-ci, {hours(excess)} au-delà du plafond ({_names(over, by_id)}) "
                "restent non facturées ; le mois peut être validé."
            )
        checks.append(
            limits.CapCheck(
                "R3",
                status,
                message,
                {
                    "autoformation_billed_minutes": after.autoformation_billed,
                    "cap_minutes": cap,
                    "centre_base_minutes": ctx.autoformation_base,
                    "limit_percent": ctx.autoformation_percent,
                },
                excess_minutes=excess,
                billable_minutes=after.autoformation_billed - before.autoformation_billed,
            )
        )
    if any(c.billing_unit == GROUP_HOUR for c in ctx.composantes):
        cap = limits.percent_of(ctx.eformation_base, ctx.eformation_percent)
        done = after.autoformation_realised
        status = limits.grade(done, cap)
        checks.append(
            limits.CapCheck(
                "R3",
                status,
                f"Autoformation (e-formation) : {hours(done)} réalisées pour {hours(cap)} "
                f"autorisées ({ctx.eformation_percent} % des {hours(ctx.eformation_base)} "
                "prescrites) ; incluses dans le prix de l'heure-groupe (R5)"
                + (", au-delà : à justifier auprès de la Région." if done > cap else "."),
                {
                    "autoformation_minutes": done,
                    "cap_minutes": cap,
                    "prescribed_base_minutes": ctx.eformation_base,
                    "limit_percent": ctx.eformation_percent,
                },
                excess_minutes=max(done - cap, 0),
            )
        )
    if distance_cap is not None:
        over = skipped("distance_share")
        excess = sum(over.values())
        status = limits.EXCEEDED if excess else limits.grade(after.distance_billed, distance_cap)
        message = (
            f"À distance : {hours(after.distance_billed)} facturées pour {hours(distance_cap)} "
            f"autorisées ({ctx.distance_percent} % des {hours(after.centre_counted)} d'heures "
            "centre réalisées, parcours hybride)."
        )
        if excess:
            message += (
                f" Ce mois-ci, {hours(excess)} au-delà ({_names(over, by_id)}) restent non "
                "facturées ; le mois peut être validé."
            )
        checks.append(
            limits.CapCheck(
                "R4",
                status,
                message,
                {
                    "distance_billed_minutes": after.distance_billed,
                    "centre_minutes": after.centre_counted,
                    "share_percent": round(
                        (after.distance_billed + excess) * 100 / after.centre_counted, 2
                    )
                    if after.centre_counted
                    else 0,
                    "cap_minutes": distance_cap,
                    "limit_percent": ctx.distance_percent,
                },
                excess_minutes=excess,
            )
        )
    for c in figures.composantes:
        volume = by_id[c.composante_id].contracted_centre_minutes
        used = after.volume_used.get(c.composante_id, 0)
        refused = c.quantity - c.billable
        lent = borrowed.get(c.composante_id, {})
        unit = "heures-groupe" if c.billing_unit == GROUP_HOUR else "heures"
        message = f"{c.code} : {hours(used)} {unit} utilisées sur {hours(volume)} contractualisées."
        if lent:
            message += (
                f" {hours(sum(lent.values()))} prises ce mois-ci sur les heures non utilisées de "
                f"{_names(lent, by_id)} (fongibilité)."
            )
        if refused:
            status = limits.EXCEEDED
            message += (
                f" Ce mois-ci, {hours(refused)} au-delà du volume contractualisé et des heures "
                "non utilisées du bon de commande restent non facturées ; le mois peut être "
                "validé. Si un stagiaire est sorti, ramenez ses heures prescrites à ses heures "
                "réalisées (FAQ 55)."
            )
        elif lent:
            status = limits.WARNING
        else:
            status = limits.grade(used, volume)
        checks.append(
            limits.CapCheck(
                "R10",
                status,
                message,
                {
                    "hour_type": "centre",
                    "unit": c.billing_unit,
                    "quantity_minutes": c.quantity,
                    "contracted_minutes": volume,
                    "used_minutes": used,
                    "fungible_minutes": sum(lent.values()),
                },
                composante_id=c.composante_id,
                excess_minutes=refused,
                billable_minutes=c.billable,
            )
        )
    return checks


def first_month(order: PurchaseOrder, month: date) -> date:
    return min(clock.first_of_month(order.planned_start), clock.first_of_month(month))


def month_series(
    session: Session, org: Organisation, order: PurchaseOrder, through: date, *, live: bool = False
) -> list[MonthFigures]:
    """Every month of the BDC from its first through ``through``: a validated month's frozen
    figures, the others computed from the realised hours, each starting where the month
    before ended; ``live`` computes ``through`` itself from the hours even when frozen (its
    trainee rows feed the declaration and the compliance view). Two GROUP BY statements for
    all the months computed."""
    through = clock.first_of_month(through)
    months = clock.months_between(first_month(order, through), through)
    frozen = {
        month: figures
        for month, figures in session.execute(
            select(MonthPeriod.month, MonthPeriod.figures).where(
                MonthPeriod.organisation_id == org.id,
                MonthPeriod.purchase_order_id == order.id,
                MonthPeriod.state == "validated",
                MonthPeriod.figures.is_not(None),
            )
        )
        if not (live and month == through)
    }
    live_months = [m for m in months if m not in frozen]
    ctx = _context(session, order)
    rows_by_month: dict[date, list[HoursRow]] = defaultdict(list)
    held: dict[date, dict] = defaultdict(dict)
    if live_months:
        for row in realised_hours(session, org, order.id, live_months[0], live_months[-1]):
            rows_by_month[row.month].append(row)
        if any(c.billing_unit == GROUP_HOUR for c in ctx.composantes):
            for (cid, month), entry in held_group_minutes(
                session, org, order.id, live_months[0], live_months[-1]
            ).items():
                held[month][cid] = entry
    series, carry = [], Carry()
    for month in months:
        if month in frozen:
            figures = MonthFigures.from_json(frozen[month])
        else:
            figures = _compute_month(ctx, month, rows_by_month[month], held[month], carry)
        series.append(figures)
        carry = figures.carry
    return series


def month_figures(
    session: Session, org: Organisation, order: PurchaseOrder, month: date
) -> MonthFigures:
    return month_series(session, org, order, month)[-1]


def live_month_figures(
    session: Session, org: Organisation, order: PurchaseOrder, month: date
) -> MonthFigures:
    """The month computed from the realised hours even when it is frozen, after the earlier
    months' allocation."""
    return month_series(session, org, order, month, live=True)[-1]
