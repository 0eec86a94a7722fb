"""Billing (billing/): a BDC month with every kind of presence an invoice line counts."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.factories.accounts import gen_org
from tests.factories.contract import gen_composante, gen_purchase_order, gen_trainee, half_day
from tests.factories.signing import gen_emargement

ISSUED = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)  # March 2026 invoiced early in April


def presentiel_march():
    """Two 3 h 30 centre slots (210 min). A: both. B: 25 min late to the first. C: absent
    from the first, leaves 15 min early from the second. A also has 7 h in a company."""
    org = gen_org()
    order = gen_purchase_order(org)
    composante = gen_composante(order, code="BUREAU", unit_price=Decimal("12.50"))
    a, b, c = gen_trainee(org), gen_trainee(org), gen_trainee(org)
    first, second = half_day(composante, date(2026, 3, 2)), half_day(composante, date(2026, 3, 3))
    gen_emargement(first, a)
    gen_emargement(second, a)
    gen_emargement(first, b, late_minutes=25)
    gen_emargement(second, b)
    gen_emargement(first, c, status="absent")
    gen_emargement(second, c, early_leave_minutes=15)
    company = half_day(
        composante,
        date(2026, 3, 4),
        minutes=420,
        kind="company",
        trainee_id=a.id,
        company_name="Garage Sud",
    )
    gen_emargement(company, a)
    return org, order
