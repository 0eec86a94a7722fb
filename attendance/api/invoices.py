"""Billing: a month's invoice lines (JSON, CSV, xlsx), invoices, credit notes and their PDF.

Lines come from validated months only; ``?preview=true`` gives a draft month's lines,
marked « Aperçu — mois non validé ». Issuing needs a billing or admin role; auditors read.
"""

from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.common import Hours, Money, permission_required
from attendance.api.french import FrenchSchema
from attendance.clock import parse_month
from attendance.extensions import db
from attendance.models import Invoice, PurchaseOrder
from attendance.tenancy import get_owned
from billing import pricing
from billing.exports import lines_csv, lines_xlsx
from billing.invoices import issue_credit_note, issue_invoice, list_invoices
from billing.lines import month_statement
from billing.numbering import run_with_retries
from billing.pdf import invoice_pdf

blp = Blueprint(
    "billing",
    __name__,
    url_prefix="/api/billing",
    description="Facturation : lignes du mois, factures, avoirs et PDF",
)
LINES_PATH = "/purchase-orders/<int:purchase_order_id>/months/<string:month>/lines"


class PreviewArgs(FrenchSchema):
    preview = fields.Boolean(
        load_default=False,
        metadata={"description": "Aperçu d'un mois non validé (jamais facturable)"},
    )


class NotBilledSchema(FrenchSchema):
    code = fields.String()
    hours = Hours(attribute="minutes")
    reason = fields.String()


class LineSchema(FrenchSchema):
    composante_id = fields.Integer()
    code = fields.String()
    title = fields.String()
    billing_unit = fields.String(metadata={"description": "trainee_hour ou group_hour"})
    unit_price = Money()
    realised_hours_by_class = fields.Function(
        lambda line: {
            cls: Hours()._serialize(m, cls, line) for cls, m in line.realised_by_class.items()
        }
    )
    group_slots = fields.Integer(metadata={"description": "Séances synchrones tenues (R5)"})
    billable_minutes = fields.Integer(dump_only=True)
    billable_hours = Hours(attribute="billable_minutes", dump_only=True)
    amount = Money()
    not_billed = fields.List(fields.Nested(NotBilledSchema))
    cumulative_billable_hours = Hours(attribute="cumulative_billable_minutes")
    cumulative_amount = Money()


class StatementSchema(FrenchSchema):
    purchase_order_id = fields.Function(lambda s: s.order.id)
    purchase_order_number = fields.Function(lambda s: s.order.number)
    month = fields.Function(lambda s: s.month.strftime("%Y-%m"))
    month_state = fields.String()
    preview = fields.Boolean()
    label = fields.String()
    lines = fields.List(fields.Nested(LineSchema))
    total_excl_vat = Money()
    vat_exempt = fields.Boolean()
    vat_rate = Money()
    vat_amount = Money()
    total_incl_vat = Money()
    vat_mention = fields.String(allow_none=True)
    cumulative_total = Money()
    cumulative_months = fields.Function(
        lambda s: [m.strftime("%Y-%m") for m in s.cumulative_months]
    )
    rounding_note = fields.String()


class InvoiceLineSchema(FrenchSchema):
    position = fields.Integer()
    composante_id = fields.Integer()
    composante_code = fields.String()
    composante_title = fields.String()
    billing_unit = fields.String()
    realised_hours = Hours(attribute="realised_minutes")
    billable_minutes = fields.Integer(dump_only=True)
    billable_hours = Hours(attribute="billable_minutes", dump_only=True)
    unit_price = Money()
    amount = Money()
    note = fields.String()
    details = fields.Dict()


class InvoiceSummarySchema(FrenchSchema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String(metadata={"description": "invoice (facture) ou credit_note (avoir)"})
    purchase_order_id = fields.Integer()
    purchase_order_number = fields.String()
    month = fields.Function(lambda i: i.month.strftime("%Y-%m"))
    issued_at = fields.DateTime()
    corrects_invoice_id = fields.Integer(allow_none=True)
    reason = fields.String()
    seller = fields.Dict()
    customer = fields.Dict()
    total_excl_vat = Money()
    vat_exempt = fields.Boolean()
    vat_rate = Money()
    vat_amount = Money()
    total_incl_vat = Money()
    vat_mention = fields.Function(lambda i: pricing.VAT_EXEMPT_MENTION_FR if i.vat_exempt else None)
    rounding_note = fields.String()
    payment_terms = fields.String()


class InvoiceSchema(InvoiceSummarySchema):
    lines = fields.List(fields.Nested(InvoiceLineSchema))


class InvoiceListSchema(FrenchSchema):
    items = fields.List(fields.Nested(InvoiceSummarySchema))


class IssueSchema(FrenchSchema):
    purchase_order_id = fields.Integer(required=True)
    month = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}-\d{2}$", error="Mois attendu au format AAAA-MM."),
    )


class CreditNoteSchema(FrenchSchema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000, error="Motif de 1 à 1000 caractères."),
    )


class InvoiceFilter(FrenchSchema):
    purchase_order_id = fields.Integer()


def _statement(purchase_order_id: int, month: str, preview: bool):
    return month_statement(
        db.session, g.org, purchase_order_id, parse_month(month), preview=preview
    )


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _export_name(statement, extension: str) -> str:
    draft = "-apercu" if statement.preview else ""
    return f"lignes-{statement.order.number}-{statement.month:%Y-%m}{draft}.{extension}"


@blp.get(LINES_PATH)
@blp.arguments(PreviewArgs, location="query")
@blp.response(200, StatementSchema)
@permission_required("contract:read")
def get_lines(args, purchase_order_id, month):
    """Lignes de facturation du mois par composante (et cumul depuis le début du BDC)."""
    return _statement(purchase_order_id, month, args["preview"])


@blp.get(LINES_PATH + ".csv")
@blp.arguments(PreviewArgs, location="query")
@blp.doc(responses={"200": {"description": "CSV (UTF-8 avec BOM, ;, virgule décimale)"}})
@permission_required("contract:read")
def get_lines_csv(args, purchase_order_id, month):
    """Lignes du mois en CSV pour Excel."""
    statement = _statement(purchase_order_id, month, args["preview"])
    return _download(
        lines_csv(statement), "text/csv; charset=utf-8", _export_name(statement, "csv")
    )


@blp.get(LINES_PATH + ".xlsx")
@blp.arguments(PreviewArgs, location="query")
@blp.doc(responses={"200": {"description": "Classeur Excel mis en forme pour l'impression"}})
@permission_required("contract:read")
def get_lines_xlsx(args, purchase_order_id, month):
    """Lignes du mois en xlsx."""
    statement = _statement(purchase_order_id, month, args["preview"])
    return _download(
        lines_xlsx(statement),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _export_name(statement, "xlsx"),
    )


@blp.get("/invoices")
@blp.arguments(InvoiceFilter, location="query")
@blp.response(200, InvoiceListSchema)
@permission_required("contract:read")
def get_invoices(args):
    """Factures et avoirs émis, les plus récents d'abord."""
    purchase_order_id = args.get("purchase_order_id")
    if purchase_order_id is not None:
        get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    return {"items": list_invoices(db.session, g.org, purchase_order_id)}


@blp.post("/invoices")
@blp.arguments(IssueSchema)
@blp.response(201, InvoiceSchema)
@permission_required("contract:write")
def post_invoice(data):
    """Émet la facture d'un mois validé, sous le numéro suivant (FA-AAAA-NNNN)."""
    month = parse_month(data["month"])
    org, user = g.org, g.user
    return run_with_retries(
        db.session,
        lambda: issue_invoice(db.session, org, user, data["purchase_order_id"], month),
    )


@blp.get("/invoices/<int:invoice_id>")
@blp.response(200, InvoiceSchema)
@permission_required("contract:read")
def get_invoice(invoice_id):
    """Une facture ou un avoir, avec ses lignes figées à l'émission."""
    return get_owned(db.session, Invoice, invoice_id, g.org, "facture")


@blp.get("/invoices/<int:invoice_id>/pdf")
@blp.doc(responses={"200": {"description": "PDF A4 de la facture ou de l'avoir"}})
@permission_required("contract:read")
def get_invoice_pdf(invoice_id):
    """La facture ou l'avoir en PDF."""
    invoice = get_owned(db.session, Invoice, invoice_id, g.org, "facture")
    return _download(
        invoice_pdf(invoice, invoice.corrects), "application/pdf", f"{invoice.number}.pdf"
    )


@blp.post("/invoices/<int:invoice_id>/credit-note")
@blp.arguments(CreditNoteSchema)
@blp.response(201, InvoiceSchema)
@permission_required("contract:write")
def post_credit_note(data, invoice_id):
    """Annule une facture émise par un avoir (AV-AAAA-NNNN) ; la facture reste inchangée."""
    org, user = g.org, g.user
    return run_with_retries(
        db.session,
        lambda: issue_credit_note(db.session, org, user, invoice_id, data["reason"]),
    )
