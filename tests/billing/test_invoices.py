"""Issuing invoices and credit notes: numbering, freezing, cancelling, concurrency."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from attendance.errors import Conflict, DomainError
from attendance.extensions import db
from attendance.models import Invoice, Organisation
from billing.invoices import active_invoice, issue_credit_note, issue_invoice
from billing.numbering import run_with_retries
from tests.factories import (
    ISSUED,
    MARCH,
    gen_composante,
    gen_emargement,
    gen_purchase_order,
    gen_trainee,
    gen_user,
    half_day,
    presentiel_march,
    validate_month,
)


def _issue(org, order, user=None, issued_at=ISSUED):
    return run_with_retries(
        db.session,
        lambda: issue_invoice(db.session, org, user, order.id, MARCH, issued_at=issued_at),
    )


def test_an_invoice_freezes_the_validated_month_under_the_first_number(app):
    org, order = presentiel_march()
    user = gen_user(org, "billing")
    validate_month(order)
    invoice = _issue(org, order, user)
    assert invoice.number == "FA-2026-0001"
    assert invoice.kind == "invoice" and invoice.issued_by_id == user.id
    assert invoice.total_excl_vat == invoice.total_incl_vat == Decimal("210.42")
    assert invoice.vat_exempt and invoice.vat_amount == Decimal("0")
    assert invoice.seller["siret"] == org.siret
    assert invoice.customer["name"].startswith("Région Occitanie")
    assert invoice.purchase_order_number == order.number
    [line] = invoice.lines
    assert (line.billable_minutes, line.unit_price, line.amount) == (
        1010,
        Decimal("12.50"),
        Decimal("210.42"),
    )
    assert line.details["not_billed"][0]["code"] == "company"


def test_a_month_not_validated_cannot_be_invoiced_and_takes_no_number(app):
    org, order = presentiel_march()
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        _issue(org, order)
    assert refused.value.code == "MONTH_NOT_VALIDATED"
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    validate_month(order)
    assert _issue(org, order).number == "FA-2026-0001"


def test_a_month_is_invoiced_once_and_the_refusal_leaves_no_gap(app):
    org, order = presentiel_march()
    validate_month(order)
    first = _issue(org, order)
    with pytest.raises(Conflict) as refused:
        _issue(org, order)
    assert refused.value.code == "INVOICE_EXISTS"
    assert first.number in refused.value.message
    other = gen_purchase_order(org)
    composante = gen_composante(other)
    gen_emargement(half_day(composante, date(2026, 3, 2)), gen_trainee(org))
    validate_month(other)
    second = run_with_retries(
        db.session,
        lambda: issue_invoice(db.session, org, None, other.id, MARCH, issued_at=ISSUED),
    )
    assert second.number == "FA-2026-0002"


def test_numbers_restart_each_year_in_paris_time(app):
    """31 Dec 2026 23:30 UTC is 1 Jan 2027 00:30 in Paris: the 2027 series starts."""
    org, order = presentiel_march()
    validate_month(order)
    invoice = _issue(org, order, issued_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert invoice.number == "FA-2027-0001"


def test_a_credit_note_cancels_an_invoice_which_stays_as_issued(app):
    """The credit note repeats the 210,42 € line negated under AV-2026-0001; the month can
    then be invoiced again, under the next FA number."""
    org, order = presentiel_march()
    validate_month(order)
    invoice = _issue(org, order)
    note = run_with_retries(
        db.session,
        lambda: issue_credit_note(db.session, org, None, invoice.id, "Heures corrigées"),
    )
    assert note.number == "AV-2026-0001"
    assert note.kind == "credit_note" and note.corrects_invoice_id == invoice.id
    assert note.total_excl_vat == note.total_incl_vat == Decimal("-210.42")
    assert [(line.billable_minutes, line.amount) for line in note.lines] == [
        (-1010, Decimal("-210.42"))
    ]
    db.session.expire_all()
    kept = db.session.get(Invoice, invoice.id)
    assert kept.total_excl_vat == Decimal("210.42") and kept.number == "FA-2026-0001"
    assert active_invoice(db.session, org, order.id, MARCH) is None
    again = _issue(org, order)
    assert again.number == "FA-2026-0002"
    with pytest.raises(Conflict) as twice:
        issue_credit_note(db.session, org, None, invoice.id, "encore")
    assert twice.value.code == "INVOICE_ALREADY_CREDITED"
    db.session.rollback()
    with pytest.raises(DomainError) as no_reason:
        issue_credit_note(db.session, org, None, again.id, "  ")
    assert no_reason.value.code == "CREDIT_NOTE_REASON_REQUIRED"


def test_an_issued_invoice_cannot_be_changed_or_deleted(app):
    org, order = presentiel_march()
    validate_month(order)
    invoice = _issue(org, order)
    invoice.total_excl_vat = Decimal("1.00")
    with pytest.raises(Conflict) as changed:
        db.session.flush()
    assert changed.value.code == "INVOICE_IMMUTABLE"
    db.session.rollback()
    invoice = db.session.get(Invoice, invoice.id)
    invoice.lines[0].amount = Decimal("0")
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Invoice, invoice.id))
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Invoice, invoice.id).total_excl_vat == Decimal("210.42")


def test_another_organisations_invoice_cannot_be_credited(app):
    org, order = presentiel_march()
    validate_month(order)
    invoice = _issue(org, order)
    _, other_order = presentiel_march()
    stranger = db.session.get(Organisation, other_order.organisation_id)
    with pytest.raises(DomainError) as refused:
        issue_credit_note(db.session, stranger, None, invoice.id, "motif")
    assert refused.value.code == "NOT_FOUND"


def test_concurrent_issuing_gives_numbers_without_gap_or_duplicate(app):
    """Six BDCs, each invoiced by two threads at once (twelve threads, within the
    connection pool): six invoices numbered 1…6, the six losers refused INVOICE_EXISTS."""
    org, order = presentiel_march()
    validate_month(order)
    orders = [order.id]
    for _ in range(5):
        other = gen_purchase_order(org)
        composante = gen_composante(other)
        gen_emargement(half_day(composante, date(2026, 3, 2)), gen_trainee(org))
        validate_month(other)
        orders.append(other.id)
    org_id = org.id
    db.session.commit()
    barrier = threading.Barrier(len(orders) * 2)
    outcomes, errors = [], []

    def issue(purchase_order_id):
        with app.app_context():
            session = db.session
            barrier.wait(timeout=60)
            try:
                organisation = session.get(Organisation, org_id)
                invoice = run_with_retries(
                    session,
                    lambda: issue_invoice(session, organisation, None, purchase_order_id, MARCH),
                )
                outcomes.append((purchase_order_id, invoice.number))
            except Conflict as refused:
                outcomes.append((purchase_order_id, refused.code))
            except Exception as error:  # the assertion below shows it
                errors.append(repr(error))
            finally:
                session.remove()

    threads = [threading.Thread(target=issue, args=(oid,)) for oid in orders * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(n for _, n in outcomes if n.startswith("FA-"))
    assert numbers == [f"FA-2026-{n:04d}" for n in range(1, 7)]
    assert sorted(o for o, n in outcomes if n.startswith("FA-")) == sorted(orders)
    assert [n for _, n in outcomes if not n.startswith("FA-")] == ["INVOICE_EXISTS"] * 6
    stored = db.session.scalars(select(Invoice.sequence).order_by(Invoice.sequence)).all()
    assert stored == list(range(1, 7))
