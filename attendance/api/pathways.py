"""Pathways (parcours): a trainee on a composante."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.common import (
    Hours,
    PageArgs,
    one_of,
    page_schema,
    paginate,
    permission_required,
)
from attendance.api.french import FrenchSchema
from attendance.contract.pathways import (
    abandon_pathway,
    align_prescribed_to_realised,
    create_pathway,
    delete_pathway,
    update_pathway,
)
from attendance.extensions import db
from attendance.models import PATHWAY_STATUSES, Composante, Pathway
from attendance.tenancy import get_owned, org_select

blp = Blueprint("pathways", __name__, url_prefix="/api/pathways", description="Parcours")

# Status moves other than abandon go through PATCH; abandon has its own checked route (R9).
_PATCHABLE_STATUSES = ("planned", "in_training", "completed")


class PathwaySchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    trainee_id = fields.Integer(required=True)
    composante_id = fields.Integer(required=True)
    entry_date = fields.Date(required=True)
    planned_exit_date = fields.Date(required=True)
    effective_exit_date = fields.Date(allow_none=True)
    prescribed_centre_hours = Hours(attribute="prescribed_centre_minutes", required=True)
    prescribed_company_hours = Hours(attribute="prescribed_company_minutes")
    status = fields.String(validate=one_of(_PATCHABLE_STATUSES))


class PathwayOutSchema(PathwaySchema):
    status = fields.String()


class PathwayUpdateSchema(PathwaySchema):
    trainee_id = fields.Integer(dump_only=True)
    composante_id = fields.Integer(dump_only=True)
    reason = fields.String(load_only=True, validate=validate.Length(max=500))


class AbandonSchema(FrenchSchema):
    exit_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PathwayEventSchema(FrenchSchema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    changes = fields.Dict()
    reason = fields.String()
    user_id = fields.Integer(allow_none=True)


class PathwayFilter(PageArgs):
    trainee_id = fields.Integer()
    composante_id = fields.Integer()
    purchase_order_id = fields.Integer()
    status = fields.String(validate=one_of(PATHWAY_STATUSES))


PathwayPage = page_schema(PathwayOutSchema, "PathwayPage")


@blp.get("")
@blp.arguments(PathwayFilter, location="query")
@blp.response(200, PathwayPage)
@permission_required("contract:read")
def list_pathways(args):
    statement = org_select(Pathway, g.org).order_by(Pathway.id)
    for key in ("trainee_id", "composante_id", "status"):
        if args.get(key):
            statement = statement.where(getattr(Pathway, key) == args[key])
    if args.get("purchase_order_id"):
        statement = statement.join(Composante).where(
            Composante.purchase_order_id == args["purchase_order_id"]
        )
    return paginate(statement, args)


@blp.post("")
@blp.arguments(PathwaySchema)
@blp.response(201, PathwayOutSchema)
@permission_required("contract:write")
def post_pathway(data):
    """Inscrit un stagiaire sur une composante (R1, R2, R6, R8, R10)."""
    pathway = create_pathway(db.session, g.org, data, g.user)
    return pathway


@blp.get("/<int:pathway_id>")
@blp.response(200, PathwayOutSchema)
@permission_required("contract:read")
def get_pathway(pathway_id):
    return get_owned(db.session, Pathway, pathway_id, g.org, "parcours")


@blp.patch("/<int:pathway_id>")
@blp.arguments(PathwayUpdateSchema(partial=True))
@blp.response(200, PathwayOutSchema)
@permission_required("contract:write")
def patch_pathway(data, pathway_id):
    """Modifie un parcours ; les dates déplacées restent dans l'historique (R18)."""
    pathway = get_owned(db.session, Pathway, pathway_id, g.org, "parcours")
    reason = data.pop("reason", "")
    update_pathway(db.session, g.org, pathway, data, g.user, reason)
    return pathway


@blp.delete("/<int:pathway_id>")
@blp.response(204)
@permission_required("contract:write")
def remove_pathway(pathway_id):
    """Supprime un parcours sans heure déclarée (R9) ; sinon, déclarez un abandon."""
    pathway = get_owned(db.session, Pathway, pathway_id, g.org, "parcours")
    delete_pathway(db.session, g.org, pathway)


@blp.post("/<int:pathway_id>/abandon")
@blp.arguments(AbandonSchema)
@blp.response(200, PathwayOutSchema)
@permission_required("contract:write")
def post_abandon(data, pathway_id):
    """Déclare un abandon : au moins une heure réalisée, puis départ (R9)."""
    pathway = get_owned(db.session, Pathway, pathway_id, g.org, "parcours")
    abandon_pathway(db.session, g.org, pathway, data["exit_date"], data["reason"], g.user)
    return pathway


@blp.post("/<int:pathway_id>/align-prescribed")
@blp.response(200, PathwayOutSchema)
@permission_required("contract:write")
def post_align_prescribed(pathway_id):
    """Ramène les heures prescrites d'un stagiaire sorti à ses heures réalisées (FAQ 55, R10) :
    le reste du volume contractualisé redevient disponible."""
    pathway = get_owned(db.session, Pathway, pathway_id, g.org, "parcours")
    align_prescribed_to_realised(db.session, g.org, pathway, g.user)
    return pathway


@blp.get("/<int:pathway_id>/history")
@blp.response(200, PathwayEventSchema(many=True))
@permission_required("contract:read")
def get_history(pathway_id):
    """Historique daté du parcours (R18)."""
    return get_owned(db.session, Pathway, pathway_id, g.org, "parcours").events
