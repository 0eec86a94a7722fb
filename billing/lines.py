"""Invoice lines of a BDC's month, per composante, from the hours engine (and cumulative
since the BDC's first month).

What is billed (DOMAIN.md « Hour classification », CCTP §3.2.2, §3.3):

* présentiel and hybride BDCs, per trainee-hour: centre présentiel + FAD + autoformation
  within the R3 cap, as ``hours.caps.billable_month_hours`` returns them. An absence
  realises nothing, so it is never billed; a late arrival or early leave removes its
  minutes. Company hours are shown and never billed to the Region.
* Occitanie e-formation BDCs (R5), per group-hour: the held synchronous slots' duration,
  once per slot (``group_hours``); trainees' autoformation is shown, included in the price.
* R10 (FAQ 55, CCTP §3.1.2): the quantity billed on a composante over the BDC's life may
  not exceed its contracted volume once the BDC's other composantes have lent their unused
  hours (*fongibilité*, ``hours.limits.check_volumes``). The month bills the growth of the
  cumulative billable quantity; what R10 refuses is shown and not billed. When a composante
  later uses its own hours that it had lent, the borrower gives them back: its month line is
  a negative regularisation (the BDC total never exceeds its contracted total). The check
  is made on what is billed, after R3: autoformation already refused by R3 does not use up
  the volume a second time. For a group-hour composante the quantity is group-minutes, read
  against the same contracted volume (``Composante.contracted_centre_minutes``).

Only validated months are billed (R11); a draft month gives a preview, marked as such.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import clock
from attendance.errors import Conflict
from attendance.french import hours_fr
from attendance.hours import limits
from attendance.hours.caps import billable_month_hours
from attendance.hours.classes import AUTOFORMATION, COMPANY, HOUR_CLASSES
from attendance.models import Composante, MonthPeriod, Organisation, PurchaseOrder
from attendance.months.lock import month_label
from attendance.tenancy import get_owned
from billing import pricing
from billing.group_hours import held_group_minutes

VALIDATED = "validated"
PREVIEW_LABEL_FR = "Aperçu — mois non validé"


@dataclass(frozen=True)
class NotBilled:
    """Minutes shown on the line and not billed, with the reason in French."""

    code: str  # company, autoformation_cap, autoformation_included, volume, volume_returned
    minutes: int
    reason: str


@dataclass
class Line:
    """One composante in one month: what was realised, what is billed and its amount."""

    composante_id: int
    code: str
    title: str
    billing_unit: str  # trainee_hour or group_hour
    unit_price: Decimal
    month: date
    realised_by_class: dict[str, int]  # trainee-minutes per hour class
    quantity_before_volume: int  # billable minutes (trainee or group) before R10
    billable_minutes: int
    amount: Decimal
    not_billed: list[NotBilled] = field(default_factory=list)
    group_slots: int = 0
    cumulative_billable_minutes: int = 0
    cumulative_amount: Decimal = pricing.ZERO

    @property
    def realised_minutes(self) -> int:
        return sum(self.realised_by_class.values())

    @property
    def note(self) -> str:
        return " ".join(item.reason for item in self.not_billed)

    @property
    def empty(self) -> bool:
        return not self.billable_minutes and not self.realised_minutes and not self.group_slots


@dataclass
class Statement:
    """The lines of one BDC and month, their totals and whether the month is validated."""

    order: PurchaseOrder
    month: date
    month_state: str
    preview: bool
    lines: list[Line]
    total_excl_vat: Decimal
    vat_exempt: bool
    vat_rate: Decimal
    vat_amount: Decimal
    total_incl_vat: Decimal
    cumulative_total: Decimal
    cumulative_months: list[date]
    rounding_note: str = pricing.ROUNDING_NOTE_FR

    @property
    def label(self) -> str:
        return PREVIEW_LABEL_FR if self.preview else "Mois validé"

    @property
    def vat_mention(self) -> str | None:
        return pricing.VAT_EXEMPT_MENTION_FR if self.vat_exempt else None


def month_states(session: Session, org: Organisation, purchase_order_id: int) -> dict[date, str]:
    rows = session.execute(
        select(MonthPeriod.month, MonthPeriod.state).where(
            MonthPeriod.organisation_id == org.id,
            MonthPeriod.purchase_order_id == purchase_order_id,
        )
    )
    return {month: state for month, state in rows}


def _composantes(session: Session, org: Organisation, order: PurchaseOrder) -> list[Composante]:
    return list(
        session.scalars(
            select(Composante)
            .where(Composante.organisation_id == org.id, Composante.purchase_order_id == order.id)
            .order_by(Composante.id)
        )
    )


def _quantities(session, org, order, composantes, months, progress=None):
    """Per month: {composante id: billable minutes before R10}, and for the last month the
    realised minutes per class and the not-billed items of R3, R5 and company hours."""
    group = {c.id for c in composantes if c.billing_unit == "group_hour"}
    held = held_group_minutes(session, org, order.id, months[0], months[-1]) if group else {}
    per_month: dict[date, dict[int, int]] = {}
    realised: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(HOUR_CLASSES, 0))
    skipped: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    slots: dict[int, int] = {}
    for month in months:
        quantity = dict.fromkeys((c.id for c in composantes), 0)
        last = month == months[-1]
        for row in billable_month_hours(session, org, order.id, month):
            if row.composante_id not in quantity:
                continue
            if row.composante_id not in group and row.hour_class != COMPANY:
                quantity[row.composante_id] += row.billable_minutes
            if last:
                realised[row.composante_id][row.hour_class] += row.minutes
                skipped[row.composante_id][row.hour_class] += row.minutes - row.billable_minutes
        for cid in group:
            entry = held.get((cid, month))
            quantity[cid] = entry.minutes if entry else 0
            if last:
                slots[cid] = entry.slots if entry else 0
        per_month[month] = quantity
        if progress:
            progress(len(per_month), len(months))
    return per_month, realised, skipped, slots


def _not_billed_before_volume(
    composante: Composante, realised: dict[str, int], skipped: dict[str, int]
) -> list[NotBilled]:
    items = []
    if realised.get(COMPANY):
        items.append(
            NotBilled(
                "company",
                realised[COMPANY],
                f"Entreprise : {hours_fr(realised[COMPANY])} suivies, non facturées à la Région.",
            )
        )
    if composante.billing_unit == "group_hour":
        if realised.get(AUTOFORMATION):
            items.append(
                NotBilled(
                    "autoformation_included",
                    realised[AUTOFORMATION],
                    f"Autoformation : {hours_fr(realised[AUTOFORMATION])} incluses dans "
                    "le prix de l'heure-groupe (R5), non facturées à part.",
                )
            )
    elif skipped.get(AUTOFORMATION):
        items.append(
            NotBilled(
                "autoformation_cap",
                skipped[AUTOFORMATION],
                f"Autoformation au-delà du plafond (R3) : "
                f"{hours_fr(skipped[AUTOFORMATION])} non facturées.",
            )
        )
    return items


def _volume_notes(month_quantity: int, billable: int) -> list[NotBilled]:
    """What R10 takes from the month: new minutes beyond the volume, and minutes billed
    earlier on hours lent by another composante that now uses them itself."""
    notes = []
    refused = month_quantity - max(billable, 0)
    if refused > 0:
        notes.append(
            NotBilled(
                "volume",
                refused,
                f"Au-delà du volume contractualisé (R10, après fongibilité) : "
                f"{hours_fr(refused)} non facturées.",
            )
        )
    if billable < 0:
        notes.append(
            NotBilled(
                "volume_returned",
                -billable,
                f"Régularisation de fongibilité (R10) : {hours_fr(-billable)} facturées "
                "plus tôt sur les heures d'une autre composante, qui les utilise désormais.",
            )
        )
    return notes


def _cumulative_after_volume(per_month, composantes) -> dict[date, dict[int, int]]:
    """R10 on the cumulative quantity at the end of each month (``check_volumes``)."""
    contracted = {c.id: c.contracted_centre_minutes for c in composantes}
    running: dict[int, int] = defaultdict(int)
    result = {}
    for month, quantity in per_month.items():
        for cid, minutes in quantity.items():
            running[cid] += minutes
        checks = limits.check_volumes(dict(running), contracted)
        result[month] = {check.composante_id: check.billable_minutes for check in checks}
    return result


def month_statement(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    month: date,
    *,
    preview: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Statement:
    """The invoice lines of a BDC's month. A month not validated is refused (409
    MONTH_NOT_VALIDATED) unless ``preview`` is asked: the lines are then marked as a preview.

    Cumulative figures add up the month lines of the validated months from the BDC's first
    month through ``month`` (and ``month`` itself in a preview).
    """
    order = get_owned(session, PurchaseOrder, purchase_order_id, org, "bon de commande")
    month = clock.first_of_month(month)
    states = month_states(session, org, order.id)
    state = states.get(month, "draft")
    validated = state == VALIDATED
    if not validated and not preview:
        raise Conflict(
            "MONTH_NOT_VALIDATED",
            f"Le mois de {month_label(month)} n'est pas validé pour le bon de commande "
            f"{order.number} : validez-le avant de facturer (l'aperçu reste disponible).",
            {"month": month.strftime("%Y-%m"), "state": state},
        )
    composantes = _composantes(session, org, order)
    first = min(clock.first_of_month(order.planned_start), month)
    months = clock.months_between(first, month)
    per_month, realised, skipped, slots = _quantities(
        session, org, order, composantes, months, progress
    )
    after = _cumulative_after_volume(per_month, composantes)

    def billed_in(m: date, cid: int) -> int:
        index = months.index(m)
        before = after[months[index - 1]][cid] if index else 0
        return after[m][cid] - before

    included = [m for m in months if states.get(m) == VALIDATED or (m == month and preview)]
    lines = []
    for c in composantes:
        billable = billed_in(month, c.id)
        not_billed = _not_billed_before_volume(c, realised[c.id], skipped[c.id])
        not_billed += _volume_notes(per_month[month][c.id], billable)
        cumulative = [billed_in(m, c.id) for m in included]
        lines.append(
            Line(
                composante_id=c.id,
                code=c.code,
                title=c.title,
                billing_unit=c.billing_unit,
                unit_price=c.unit_price,
                month=month,
                realised_by_class=dict(realised[c.id]),
                quantity_before_volume=per_month[month][c.id],
                billable_minutes=billable,
                amount=pricing.line_amount(billable, c.unit_price),
                not_billed=not_billed,
                group_slots=slots.get(c.id, 0),
                cumulative_billable_minutes=sum(cumulative),
                cumulative_amount=pricing.total_of(
                    pricing.line_amount(q, c.unit_price) for q in cumulative
                ),
            )
        )
    total = pricing.total_of(line.amount for line in lines)
    vat_amount, total_incl = pricing.vat(total, org.vat_exempt, org.vat_rate)
    return Statement(
        order=order,
        month=month,
        month_state=state,
        preview=not validated,
        lines=lines,
        total_excl_vat=total,
        vat_exempt=org.vat_exempt,
        vat_rate=pricing.ZERO if org.vat_exempt else Decimal(org.vat_rate),
        vat_amount=vat_amount,
        total_incl_vat=total_incl,
        cumulative_total=pricing.total_of(line.cumulative_amount for line in lines),
        cumulative_months=included,
    )
