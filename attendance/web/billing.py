"""Pages for billing staff: a BDC's month lines, exports, issuing invoices and credit notes.

The pages call the same ``billing`` functions as the API and the CLI.
"""

from datetime import date

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from attendance.accounts import can
from attendance.clock import parse_month
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import hours_fr
from attendance.hours.classes import HOUR_CLASSES, LABELS_FR
from attendance.models import Invoice, PurchaseOrder
from attendance.models.invoice import BILLING_UNITS_FR
from attendance.months.lock import month_label
from attendance.tenancy import get_owned, org_select
from attendance.web.pages import login_required
from billing import pricing
from billing.exports import lines_csv, lines_xlsx
from billing.invoices import active_invoice, issue_credit_note, issue_invoice, list_invoices
from billing.lines import month_statement
from billing.numbering import run_with_retries
from billing.pdf import invoice_pdf

bp = Blueprint("billing_pages", __name__, url_prefix="/facturation")


def _require(permission: str):
    if not can(g.user, permission):
        abort(403)


def _helpers() -> dict:
    return {
        "hours": hours_fr,
        "euros": pricing.euros_fr,
        "price": pricing.price_fr,
        "units": BILLING_UNITS_FR,
        "classes": HOUR_CLASSES,
        "labels": LABELS_FR,
    }


@bp.get("")
@login_required
def index():
    """Choose a BDC and a month; the latest invoices and credit notes."""
    _require("contract:read")
    chosen, month = request.args.get("bdc", type=int), request.args.get("mois", "")
    if chosen and month:
        return redirect(url_for("billing_pages.month_page", purchase_order_id=chosen, month=month))
    orders = db.session.scalars(
        org_select(PurchaseOrder, g.org).order_by(PurchaseOrder.planned_start.desc())
    ).all()
    return render_template(
        "billing/index.html",
        orders=orders,
        invoices=list_invoices(db.session, g.org)[:50],
        default_month=date.today().strftime("%Y-%m"),
        **_helpers(),
    )


def _statement(purchase_order_id: int, month: str):
    """The validated month's lines, or its preview when the month is not validated."""
    try:
        first = parse_month(month)
        return month_statement(db.session, g.org, purchase_order_id, first, preview=True)
    except NotFound:
        abort(404)


@bp.get("/<int:purchase_order_id>/<month>")
@login_required
def month_page(purchase_order_id: int, month: str):
    """The month's lines (a marked preview while the month is not validated)."""
    _require("contract:read")
    return _render_month(purchase_order_id, month)


def _render_month(purchase_order_id: int, month: str, error: str | None = None, status: int = 200):
    try:
        statement = _statement(purchase_order_id, month)
    except DomainError as exc:
        return render_template(
            "billing/index.html", error=exc.message, orders=[], invoices=[], default_month=month
        ), exc.status
    invoice = active_invoice(db.session, g.org, purchase_order_id, statement.month)
    return render_template(
        "billing/month.html",
        statement=statement,
        invoice=invoice,
        month_fr=month_label(statement.month),
        month_code=statement.month.strftime("%Y-%m"),
        can_issue=can(g.user, "contract:write"),
        error=error,
        issued=request.args.get("emise"),
        invoices=list_invoices(db.session, g.org, purchase_order_id),
        **_helpers(),
    ), status


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<int:purchase_order_id>/<month>/lignes.<any(csv, xlsx):extension>")
@login_required
def export(purchase_order_id: int, month: str, extension: str):
    _require("contract:read")
    statement = _statement(purchase_order_id, month)  # a refusal is the French error page
    name = f"lignes-{statement.order.number}-{statement.month:%Y-%m}"
    name += "-apercu" if statement.preview else ""
    if extension == "csv":
        return _download(lines_csv(statement), "text/csv", name + ".csv")
    return _download(
        lines_xlsx(statement),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name + ".xlsx",
    )


@bp.post("/<int:purchase_order_id>/<month>/emettre")
@login_required
def issue(purchase_order_id: int, month: str):
    _require("contract:write")
    org, user = g.org, g.user
    try:
        first = parse_month(month)
        invoice = run_with_retries(
            db.session, lambda: issue_invoice(db.session, org, user, purchase_order_id, first)
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _render_month(purchase_order_id, month, error=exc.message, status=exc.status)
    return redirect(
        url_for(
            "billing_pages.month_page",
            purchase_order_id=purchase_order_id,
            month=month,
            emise=invoice.number,
        )
    )


@bp.get("/factures/<int:invoice_id>.pdf")
@login_required
def pdf(invoice_id: int):
    _require("contract:read")
    try:
        invoice = get_owned(db.session, Invoice, invoice_id, g.org, "facture")
    except NotFound:
        abort(404)
    return _download(
        invoice_pdf(invoice, invoice.corrects), "application/pdf", f"{invoice.number}.pdf"
    )


@bp.post("/factures/<int:invoice_id>/avoir")
@login_required
def credit_note(invoice_id: int):
    _require("contract:write")
    org, user = g.org, g.user
    try:
        invoice = get_owned(db.session, Invoice, invoice_id, org, "facture")
        purchase_order_id, month_code = invoice.purchase_order_id, invoice.month.strftime("%Y-%m")
        note = run_with_retries(
            db.session,
            lambda: issue_credit_note(
                db.session, org, user, invoice_id, request.form.get("motif", "")
            ),
        )
    except NotFound:
        abort(404)
    except DomainError as exc:
        return _render_month(purchase_order_id, month_code, error=exc.message, status=exc.status)
    return redirect(
        url_for(
            "billing_pages.month_page",
            purchase_order_id=purchase_order_id,
            month=month_code,
            emise=note.number,
        )
    )
