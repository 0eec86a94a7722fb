"""Issuing invoices and credit notes (avoirs) from a validated month's lines.

An invoice freezes the lines of ``lines.month_statement`` for one BDC and validated month,
with the organisation's identity, the Region as customer, the totals and the VAT mention,
under the next number of its series (``numbering``). It never changes afterwards
(``models.invoice`` refuses any update or delete); a credit note cancels it by repeating its
lines negated, under its own series, and the month can then be invoiced again.
"""

from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from attendance import evidence
from attendance.clock import local_day
from attendance.errors import Conflict, DomainError, RuleViolation
from attendance.models import Invoice, InvoiceLine, Organisation, User
from attendance.models.types import utcnow
from attendance.months.lock import month_label
from attendance.tenancy import get_owned, org_select
from billing import numbering, pricing
from billing.lines import Line, Statement, month_statement

REGION_CUSTOMER = {
    "name": "Région Occitanie / Pyrénées-Méditerranée",
    "address": "Hôtel de Région, 22 boulevard du Maréchal Juin, 31406 Toulouse Cedex 9",
}


def seller_of(org: Organisation) -> dict:
    """The organisation as the invoice shows it, frozen at issue (its settings may change)."""
    return {
        "name": org.name,
        "siret": org.siret,
        "address": org.address,
        "signatory_name": org.signatory_name,
        "signatory_title": org.signatory_title,
        "mentions": org.invoice_mentions,
    }


def _line_details(line: Line) -> dict:
    return {
        "realised_by_class": line.realised_by_class,
        "quantity_before_volume": line.quantity_before_volume,
        "group_slots": line.group_slots,
        "corrected_minutes": line.corrected_minutes,
        "not_billed": [asdict(item) for item in line.not_billed],
        "cumulative_billable_minutes": line.cumulative_billable_minutes,
        "cumulative_amount": str(line.cumulative_amount),
    }


def credited(session: Session, invoice: Invoice) -> Invoice | None:
    """The credit note that cancels ``invoice``, if any."""
    return session.scalar(select(Invoice).where(Invoice.corrects_invoice_id == invoice.id))


def active_invoice(
    session: Session, org: Organisation, purchase_order_id: int, month: date
) -> Invoice | None:
    """The invoice of this BDC and month that no credit note has cancelled."""
    credit = aliased(Invoice)
    return session.scalar(
        org_select(Invoice, org).where(
            Invoice.purchase_order_id == purchase_order_id,
            Invoice.month == month,
            Invoice.kind == "invoice",
            ~exists().where(credit.corrects_invoice_id == Invoice.id),
        )
    )


def _number(session: Session, org: Organisation, kind: str, issued_at: datetime):
    series = numbering.SERIES[kind]
    year = local_day(issued_at).year
    sequence = numbering.take_number(session, org.id, series, year)
    return series, year, sequence, numbering.format_number(series, year, sequence)


def issue_invoice(
    session: Session,
    org: Organisation,
    user: User | None,
    purchase_order_id: int,
    month: date,
    *,
    issued_at: datetime | None = None,
) -> Invoice:
    """Issue the invoice of a validated month (flushes; the caller commits, ideally through
    ``numbering.run_with_retries``). Refused when the month is not validated (409
    MONTH_NOT_VALIDATED), already invoiced (409 INVOICE_EXISTS) or has nothing to bill."""
    statement = month_statement(session, org, purchase_order_id, month)
    lines = [line for line in statement.lines if not line.empty]
    if not any(line.billable_minutes for line in lines):
        raise RuleViolation(
            "NOTHING_TO_BILL",
            f"Rien à facturer pour {month_label(statement.month)} sur le bon de commande "
            f"{statement.order.number} : aucune heure facturable.",
            {"month": statement.month.strftime("%Y-%m")},
        )
    issued_at = issued_at or utcnow()
    # The number is taken first: its row lock makes the check below see every invoice
    # committed by a concurrent issuer of the same organisation and year.
    series, year, sequence, number = _number(session, org, "invoice", issued_at)
    existing = active_invoice(session, org, statement.order.id, statement.month)
    if existing is not None:
        raise Conflict(
            "INVOICE_EXISTS",
            f"{month_label(statement.month).capitalize()} est déjà facturé sur la facture "
            f"{existing.number} : émettez d'abord un avoir pour la corriger.",
            {"invoice_id": existing.id, "number": existing.number},
        )
    invoice = _document(session, org, user, statement, "invoice", issued_at)
    invoice.series, invoice.year, invoice.sequence, invoice.number = series, year, sequence, number
    for position, line in enumerate(lines, start=1):
        invoice.lines.append(
            InvoiceLine(
                organisation_id=org.id,
                position=position,
                composante_id=line.composante_id,
                composante_code=line.code,
                composante_title=line.title,
                billing_unit=line.billing_unit,
                realised_minutes=line.realised_minutes,
                billable_minutes=line.billable_minutes,
                unit_price=line.unit_price,
                amount=line.amount,
                note=line.note,
                details=_line_details(line),
            )
        )
    session.add(invoice)
    session.flush()
    return invoice


def _document(session, org, user, statement: Statement, kind: str, issued_at) -> Invoice:
    """The document keeps the evidence heads of its month (``evidence.take_anchor``): a copy
    of the heads outside the log, whose digest the PDF prints for whoever receives it."""
    chains = evidence.month_chains(session, statement.order.id, statement.month)
    return Invoice(
        organisation_id=org.id,
        purchase_order_id=statement.order.id,
        kind=kind,
        month=statement.month,
        issued_at=issued_at,
        issued_by_id=user.id if user else None,
        seller=seller_of(org),
        customer=dict(REGION_CUSTOMER),
        purchase_order_number=statement.order.number,
        purchase_order_title=statement.order.title,
        payment_terms=org.payment_terms,
        rounding_note=pricing.ROUNDING_NOTE_FR,
        vat_exempt=statement.vat_exempt,
        vat_rate=statement.vat_rate,
        total_excl_vat=statement.total_excl_vat,
        vat_amount=statement.vat_amount,
        total_incl_vat=statement.total_incl_vat,
        evidence_heads=evidence.take_anchor(session, org, chains),
    )


def issue_credit_note(
    session: Session,
    org: Organisation,
    user: User | None,
    invoice_id: int,
    reason: str,
    *,
    issued_at: datetime | None = None,
) -> Invoice:
    """Cancel an issued invoice with a credit note: the same lines and totals, negated,
    under the next AV number. The invoice itself stays as issued."""
    invoice = get_owned(session, Invoice, invoice_id, org, "facture")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "CREDIT_NOTE_REASON_REQUIRED",
            "Indiquez le motif de l'avoir (par exemple : heures corrigées après validation).",
        )
    if invoice.kind != "invoice":
        raise RuleViolation(
            "NOT_AN_INVOICE",
            f"{invoice.number} est un avoir : seul une facture peut être annulée par un avoir.",
        )
    issued_at = issued_at or utcnow()
    series, year, sequence, number = _number(session, org, "credit_note", issued_at)
    already = credited(session, invoice)
    if already is not None:
        raise Conflict(
            "INVOICE_ALREADY_CREDITED",
            f"La facture {invoice.number} est déjà annulée par l'avoir {already.number}.",
            {"credit_note_id": already.id, "number": already.number},
        )
    note = Invoice(
        organisation_id=org.id,
        purchase_order_id=invoice.purchase_order_id,
        kind="credit_note",
        series=series,
        year=year,
        sequence=sequence,
        number=number,
        month=invoice.month,
        issued_at=issued_at,
        issued_by_id=user.id if user else None,
        corrects_invoice_id=invoice.id,
        reason=reason,
        seller=seller_of(org),
        customer=dict(invoice.customer),
        purchase_order_number=invoice.purchase_order_number,
        purchase_order_title=invoice.purchase_order_title,
        payment_terms=f"Avoir sur la facture {invoice.number} : à déduire de son règlement.",
        rounding_note=invoice.rounding_note,
        vat_exempt=invoice.vat_exempt,
        vat_rate=invoice.vat_rate,
        total_excl_vat=-invoice.total_excl_vat,
        vat_amount=-invoice.vat_amount,
        total_incl_vat=-invoice.total_incl_vat,
    )
    for line in invoice.lines:
        note.lines.append(
            InvoiceLine(
                organisation_id=org.id,
                position=line.position,
                composante_id=line.composante_id,
                composante_code=line.composante_code,
                composante_title=line.composante_title,
                billing_unit=line.billing_unit,
                realised_minutes=line.realised_minutes,
                billable_minutes=-line.billable_minutes,
                unit_price=line.unit_price,
                amount=-line.amount,
                note=f"Annulation de la ligne {line.position} de la facture {invoice.number}.",
                details=dict(line.details),
            )
        )
    session.add(note)
    session.flush()
    return note


def list_invoices(session: Session, org: Organisation, purchase_order_id: int | None = None):
    statement = org_select(Invoice, org).order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    if purchase_order_id is not None:
        statement = statement.where(Invoice.purchase_order_id == purchase_order_id)
    return list(session.scalars(statement))
