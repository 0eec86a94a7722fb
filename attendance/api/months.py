"""The monthly cycle of a BDC: state, synchronisation, validation, declaration, push."""

import io

from flask import g, send_file
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.clock import parse_month
from attendance.extensions import db
from attendance.models import DeclarationPush, MonthDeclaration, MonthPeriod, PurchaseOrder
from attendance.months import operations, states
from attendance.months.declaration import blockers
from attendance.tenancy import get_owned
from reports.declaration_xlsx import declaration_xlsx

blp = Blueprint(
    "months",
    __name__,
    url_prefix="/api/purchase-orders/<int:purchase_order_id>/months",
    description="Mois : synchronisation, validation, déclaration",
)


class MonthSchema(FrenchSchema):
    month = fields.Method("dump_month")
    state = fields.String()
    state_label = fields.Method("dump_label")
    version = fields.Integer()
    synchronised_at = fields.DateTime(allow_none=True)
    validated_at = fields.DateTime(allow_none=True)

    def dump_month(self, period) -> str:
        return f"{period.month:%Y-%m}"

    def dump_label(self, period) -> str:
        return states.STATE_LABELS[period.state]


class MonthDetailSchema(MonthSchema):
    blockers = fields.List(fields.Dict())


class DeclarationSchema(FrenchSchema):
    version = fields.Integer()
    created_at = fields.DateTime()
    checksum = fields.String()
    totals = fields.Dict()
    rows = fields.List(fields.Dict())
    grid = fields.List(fields.Dict())


class ReopenSchema(FrenchSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class VersionArgs(FrenchSchema):
    version = fields.Integer(validate=validate.Range(min=1))


class PushSchema(FrenchSchema):
    attempt = fields.Integer()
    idempotency_key = fields.String()
    outcome = fields.String()
    http_status = fields.Integer(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    detail = fields.String()


def _month(text: str):
    return parse_month(text)


def _period(purchase_order_id: int, month_text: str) -> MonthPeriod:
    """The month's period; a month never touched is a draft, shown without being stored."""
    month = _month(month_text)
    period = states.get_period(db.session, g.org, purchase_order_id, month, create=False)
    if period is None:
        order = db.session.get(PurchaseOrder, purchase_order_id)
        period = MonthPeriod(
            organisation_id=g.org.id,
            purchase_order=order,
            month=month,
            state=states.DRAFT,
            version=0,
        )
    return period


@blp.get("")
@blp.response(200, MonthSchema(many=True))
@permission_required("contract:read")
def list_months(purchase_order_id):
    """Les mois du BDC déjà ouverts, avec leur état."""
    order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    return db.session.scalars(
        select(MonthPeriod)
        .where(MonthPeriod.purchase_order_id == order.id)
        .order_by(MonthPeriod.month)
    ).all()


@blp.get("/<month>")
@blp.response(200, MonthDetailSchema)
@permission_required("contract:read")
def get_month(purchase_order_id, month):
    """État du mois et ce qui empêche sa validation."""
    period = _period(purchase_order_id, month)
    order = db.session.get(PurchaseOrder, period.purchase_order_id or purchase_order_id)
    period.blockers = blockers(db.session, g.org, order, period.month)
    return period


@blp.post("/<month>/sync")
@blp.response(201, DeclarationSchema)
@permission_required("contract:write")
def post_sync(purchase_order_id, month):
    """Synchronise le mois : nouvelle version figée de la déclaration (R11)."""
    declaration = operations.synchronise(
        db.session, g.org, purchase_order_id, _month(month), g.user
    )
    return declaration


@blp.post("/<month>/validate")
@blp.response(200, MonthSchema)
@permission_required("contract:write")
def post_validate(purchase_order_id, month):
    """Valide le mois : il est ensuite verrouillé (R11)."""
    period = operations.validate(db.session, g.org, purchase_order_id, _month(month), g.user)
    return period


@blp.post("/<month>/reopen")
@blp.arguments(ReopenSchema)
@blp.response(200, MonthSchema)
@permission_required("contract:write")
def post_reopen(data, purchase_order_id, month):
    """Rouvre un mois validé (administrateur, motif obligatoire)."""
    period = operations.reopen(
        db.session, g.org, purchase_order_id, _month(month), g.user, data["reason"]
    )
    return period


@blp.get("/<month>/declaration")
@blp.arguments(VersionArgs, location="query")
@blp.response(200, DeclarationSchema)
@permission_required("contract:read")
def get_declaration(args, purchase_order_id, month):
    """La déclaration synchronisée (dernière version, ou ?version=N)."""
    return operations.declaration_for(
        db.session, g.org, purchase_order_id, _month(month), args.get("version")
    )


@blp.get("/<month>/declaration.xlsx")
@blp.arguments(VersionArgs, location="query")
@blp.response(
    200,
    {"format": "binary", "type": "string"},
    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
@permission_required("contract:read")
def get_declaration_xlsx(args, purchase_order_id, month):
    """La déclaration au format Excel."""
    declaration = operations.declaration_for(
        db.session, g.org, purchase_order_id, _month(month), args.get("version")
    )
    content = declaration_xlsx(declaration)
    name = (
        f"declaration_{declaration.period.purchase_order.number}_"
        f"{declaration.period.month:%Y-%m}_v{declaration.version}.xlsx"
    )
    return send_file(
        io.BytesIO(content),
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@blp.post("/<month>/push")
@blp.response(201, PushSchema)
@permission_required("contract:write")
def post_push(purchase_order_id, month):
    """Envoie la dernière version au point d'envoi configuré (clé d'idempotence)."""
    declaration = operations.declaration_for(db.session, g.org, purchase_order_id, _month(month))
    return operations.push(db.session, declaration)


@blp.get("/<month>/pushes")
@blp.response(200, PushSchema(many=True))
@permission_required("contract:read")
def get_pushes(purchase_order_id, month):
    """Toutes les tentatives d'envoi du mois et leur résultat."""
    period = _period(purchase_order_id, month)
    return db.session.scalars(
        select(DeclarationPush)
        .join(DeclarationPush.declaration)
        .where(
            DeclarationPush.organisation_id == g.org.id,
            MonthDeclaration.month_period_id == period.id,
        )
        .order_by(DeclarationPush.id)
    ).all()
