"""Invoice lines of a BDC's month, per composante, from the hours engine (and cumulative
since the BDC's first month).

What is billed (DOMAIN.md « Hour classification », CCTP §3.2.2, §3.3):

* présentiel and hybride BDCs, per trainee-hour: centre présentiel + FAD + autoformation
  within the R3 cap (and, in a hybrid BDC, distance within R4). An absence realises
  nothing, so it is never billed; a late arrival or early leave removes its minutes.
  Company hours are shown and never billed to the Region.
* Occitanie e-formation BDCs (R5), per group-hour: the held tutorat and regroupement slots'
  duration, once per slot; trainees' autoformation is shown, included in the price.
* R10 (FAQ 55, CCTP §3.1.2): a composante bills within its contracted volume, then on the
  unused hours of the BDC's other composantes (*fongibilité*); the rest is shown and not
  billed, in the month where it happens, and never blocks the month.

The quantities come from ``hours.billable``: a validated month's figures as they were
frozen at validation (quantities and unit prices), so an invoice always equals what was
validated; other months computed from the hours, after the earlier months' allocation.
This module only prices them.

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
from attendance.hours import billable
from attendance.hours.billable import NotBilled
from attendance.models import MonthPeriod, Organisation, PurchaseOrder
from attendance.months.lock import month_label
from attendance.tenancy import get_owned
from billing import pricing

VALIDATED = "validated"
PREVIEW_LABEL_FR = "Aperçu — mois non validé"


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
    corrected_minutes: int = 0  # R12: part of the realised minutes from corrections

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
    series = billable.month_series(session, org, order, month)
    figures = series[-1]
    if progress:
        progress(len(series), len(series))
    included = [
        f for f in series if states.get(f.month) == VALIDATED or (f.month == month and preview)
    ]
    cumulative: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for f in included:
        for c in f.composantes:
            cumulative[c.composante_id].append((c.billable, c.unit_price))
    lines = []
    for c in figures.composantes:
        done = cumulative[c.composante_id]
        lines.append(
            Line(
                composante_id=c.composante_id,
                code=c.code,
                title=c.title,
                billing_unit=c.billing_unit,
                unit_price=c.unit_price,
                month=month,
                realised_by_class=dict(c.realised_by_class),
                quantity_before_volume=c.quantity,
                billable_minutes=c.billable,
                amount=pricing.line_amount(c.billable, c.unit_price),
                not_billed=list(c.not_billed),
                group_slots=c.group_slots,
                corrected_minutes=c.corrected_minutes,
                cumulative_billable_minutes=sum(q for q, _ in done),
                cumulative_amount=pricing.total_of(
                    pricing.line_amount(q, price) for q, price in done
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
        cumulative_months=[f.month for f in included],
    )
