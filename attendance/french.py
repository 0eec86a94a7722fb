"""How figures read in French, in one place: every page, document, message and export uses
these so « 12,50 h » and « mars 2026 » look the same everywhere."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def hours_fr(minutes: int | None) -> str:
    """« 12,50 h »: integer minutes as hours with two decimals (exact, half up)."""
    if minutes is None:
        return "—"
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:.2f}".replace(".", ",") + " h"


def month_fr(value: date) -> str:
    """« mars 2026 »."""
    return f"{MONTHS_FR[value.month - 1]} {value.year}"


def date_fr(value: date | None) -> str:
    """« 02/03/2026 »."""
    return value.strftime("%d/%m/%Y") if value else "—"


def long_date_fr(value: date) -> str:
    """« 2 mars 2026 »."""
    return f"{value.day} {MONTHS_FR[value.month - 1]} {value.year}"


def days_ago_fr(days: int) -> str:
    """« aujourd'hui », « hier », « il y a 3 jours »: how long a to-do has waited."""
    if days <= 0:
        return "aujourd'hui"
    return "hier" if days == 1 else f"il y a {days} jours"
