"""Money arithmetic of an invoice: exact decimal euros, rounded once per line.

A line's amount is its billable minutes × the hourly price ÷ 60, computed exactly in
``Decimal`` and rounded to the cent once, half up (« arrondi commercial »). Totals are the
sum of the rounded lines, never a rounding of the exact sum, so every figure on the invoice
adds up by hand. The rule is stated on every output (``ROUNDING_NOTE_FR``).
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
THIN_SPACE = "\u202f"  # French thousands separator
ROUNDING = ROUND_HALF_UP
ROUNDING_NOTE_FR = (
    "Montant de chaque ligne = minutes facturables × prix horaire ÷ 60, calculé exactement "
    "puis arrondi au centime (au demi-centime supérieur, ROUND_HALF_UP) ; les totaux sont la "
    "somme des lignes arrondies."
)
# Training delivered by an OF is exempt (CGI art. 261-4-4°); the invoice must say so.
VAT_EXEMPT_MENTION_FR = "TVA non applicable, art. 261-4-4° du CGI"


def to_cent(amount: Decimal) -> Decimal:
    """Round exact euros to the cent, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUNDING)


def line_amount(minutes: int, hourly_price: Decimal) -> Decimal:
    """Exact price of ``minutes`` at ``hourly_price`` € per hour, rounded to the cent once."""
    return to_cent(Decimal(minutes) * Decimal(hourly_price) / Decimal(60))


def total_of(amounts) -> Decimal:
    """Sum of already rounded line amounts (the invoice total)."""
    return sum((Decimal(a) for a in amounts), ZERO)


def vat(total_excl_vat: Decimal, exempt: bool, rate_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(VAT amount, total including VAT). Exempt organisations charge none (CGI art.
    261-4-4°); the others apply ``Organisation.vat_rate``, a percentage (20 means 20 %), on
    the total of the rounded lines, rounded to the cent."""
    if exempt:
        return ZERO, to_cent(total_excl_vat)
    tax = to_cent(Decimal(total_excl_vat) * Decimal(rate_percent) / Decimal(100))
    return tax, to_cent(total_excl_vat) + tax


def euros_fr(amount: Decimal) -> str:
    """« 1 234,56 € »: exact euros, French style (narrow no-break space for thousands)."""
    value = to_cent(amount)
    sign = "-" if value < 0 else ""
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{THIN_SPACE.join(groups)},{cents} €"


def price_fr(amount: Decimal) -> str:
    """A unit price with as many decimals as it has (at least two): « 12,50 € »."""
    text = format(Decimal(amount).normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole},{decimals.ljust(2, '0')} €"
