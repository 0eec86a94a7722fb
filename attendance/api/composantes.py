"""Composantes of the caller's purchase orders."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.common import (
    Hours,
    Money,
    PageArgs,
    one_of,
    page_schema,
    paginate,
    permission_required,
)
from attendance.api.french import FrenchSchema
from attendance.contract.purchase_orders import (
    create_composante,
    delete_composante,
    update_composante,
)
from attendance.extensions import db
from attendance.models import BILLING_UNITS, Composante
from attendance.tenancy import get_owned, org_select

blp = Blueprint(
    "composantes", __name__, url_prefix="/api/composantes", description="Composantes des BDC"
)


class ComposanteSchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    purchase_order_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    contracted_centre_hours = Hours(attribute="contracted_centre_minutes", required=True)
    contracted_company_hours = Hours(attribute="contracted_company_minutes")
    unit_price = Money(required=True, metadata={"description": "Prix unitaire en euros (exact)"})
    billing_unit = fields.String(validate=one_of(BILLING_UNITS))


class ComposanteUpdateSchema(ComposanteSchema):
    purchase_order_id = fields.Integer(dump_only=True)


class ComposanteFilter(PageArgs):
    purchase_order_id = fields.Integer()


ComposantePage = page_schema(ComposanteSchema, "ComposantePage")


@blp.get("")
@blp.arguments(ComposanteFilter, location="query")
@blp.response(200, ComposantePage)
@permission_required("contract:read")
def list_composantes(args):
    statement = org_select(Composante, g.org).order_by(Composante.id)
    if args.get("purchase_order_id"):
        statement = statement.where(Composante.purchase_order_id == args["purchase_order_id"])
    return paginate(statement, args)


@blp.post("")
@blp.arguments(ComposanteSchema)
@blp.response(201, ComposanteSchema)
@permission_required("contract:write")
def post_composante(data):
    composante = create_composante(db.session, g.org, data)
    return composante


@blp.get("/<int:composante_id>")
@blp.response(200, ComposanteSchema)
@permission_required("contract:read")
def get_composante(composante_id):
    return get_owned(db.session, Composante, composante_id, g.org, "composante")


@blp.patch("/<int:composante_id>")
@blp.arguments(ComposanteUpdateSchema(partial=True))
@blp.response(200, ComposanteSchema)
@permission_required("contract:write")
def patch_composante(data, composante_id):
    """Modifie une composante.

    Prix unitaire et volumes contractés : un mois validé garde ceux figés à sa validation ;
    une modification s'applique à partir du premier mois encore ouvert.
    """
    composante = get_owned(db.session, Composante, composante_id, g.org, "composante")
    update_composante(db.session, g.org, composante, data)
    return composante


@blp.delete("/<int:composante_id>")
@blp.response(204)
@permission_required("contract:write")
def delete_composante_endpoint(composante_id):
    """Supprime une composante sans parcours, séance, correctif ni ligne de facture (sinon 409
    COMPOSANTE_IN_USE avec les nombres en détail)."""
    composante = get_owned(db.session, Composante, composante_id, g.org, "composante")
    delete_composante(db.session, g.org, composante)
