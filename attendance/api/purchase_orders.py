"""Purchase orders (BDC) of the caller's organisation."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate

from attendance.api.common import PageArgs, one_of, page_schema, paginate, permission_required
from attendance.api.french import FrenchSchema
from attendance.contract.purchase_orders import (
    create_purchase_order,
    delete_purchase_order,
    update_purchase_order,
)
from attendance.extensions import db
from attendance.models import BDC_MODES, Dispositif, PurchaseOrder
from attendance.tenancy import get_owned, org_select

blp = Blueprint(
    "purchase_orders",
    __name__,
    url_prefix="/api/purchase-orders",
    description="Bons de commande (BDC)",
)


class PurchaseOrderSchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    number = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title = fields.String(validate=validate.Length(max=300))
    dispositif = fields.Method("dump_dispositif", deserialize="load_dispositif", required=True)
    mode = fields.String(required=True, validate=one_of(BDC_MODES))
    planned_start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    sites = fields.List(fields.String(validate=validate.Length(max=200)))
    planned_trainees = fields.Integer(validate=validate.Range(min=0, max=10_000))
    opening_date = fields.Date(dump_only=True, metadata={"description": "R8 : première entrée"})
    co_financed = fields.Boolean(
        metadata={"description": "Cofinancé (FSE…) : preuves conservées 10 ans au lieu de 6"}
    )
    composante_ids = fields.Method("dump_composante_ids", dump_only=True)

    def dump_dispositif(self, order) -> str:
        return order.dispositif.code

    def load_dispositif(self, value) -> str:
        if not isinstance(value, str):
            raise ValidationError("Code de dispositif attendu.")
        return value

    def dump_composante_ids(self, order) -> list[int]:
        return [c.id for c in order.composantes]


class PurchaseOrderFilter(PageArgs):
    number = fields.String()
    dispositif = fields.String()
    mode = fields.String(validate=one_of(BDC_MODES))


PurchaseOrderPage = page_schema(PurchaseOrderSchema, "PurchaseOrderPage")


@blp.get("")
@blp.arguments(PurchaseOrderFilter, location="query")
@blp.response(200, PurchaseOrderPage)
@permission_required("contract:read")
def list_purchase_orders(args):
    """Liste les bons de commande de l'organisme."""
    statement = org_select(PurchaseOrder, g.org).order_by(
        PurchaseOrder.planned_start.desc(), PurchaseOrder.id
    )
    if args.get("number"):
        statement = statement.where(PurchaseOrder.number == args["number"])
    if args.get("mode"):
        statement = statement.where(PurchaseOrder.mode == args["mode"])
    if args.get("dispositif"):
        statement = statement.join(Dispositif).where(Dispositif.code == args["dispositif"])
    return paginate(statement, args)


@blp.post("")
@blp.arguments(PurchaseOrderSchema)
@blp.response(201, PurchaseOrderSchema)
@permission_required("contract:write")
def post_purchase_order(data):
    """Crée un bon de commande."""
    order = create_purchase_order(db.session, g.org, data)
    return order


@blp.get("/<int:purchase_order_id>")
@blp.response(200, PurchaseOrderSchema)
@permission_required("contract:read")
def get_purchase_order(purchase_order_id):
    return get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")


@blp.patch("/<int:purchase_order_id>")
@blp.arguments(PurchaseOrderSchema(partial=True))
@blp.response(200, PurchaseOrderSchema)
@permission_required("contract:write")
def patch_purchase_order(data, purchase_order_id):
    order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    update_purchase_order(db.session, g.org, order, data)
    return order


@blp.delete("/<int:purchase_order_id>")
@blp.response(204)
@permission_required("contract:write")
def delete_purchase_order_endpoint(purchase_order_id):
    """Supprime un bon de commande et ses composantes inutilisées ; refusé (409 BDC_IN_USE)
    dès qu'un parcours, une séance, un mois synchronisé ou une facture s'y rattache."""
    order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    delete_purchase_order(db.session, g.org, order)
