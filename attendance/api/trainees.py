"""Trainees of the caller's organisation."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import or_

from attendance.api.common import PageArgs, page_schema, paginate, permission_required
from attendance.api.french import FrenchSchema
from attendance.contract.trainees import create_trainee, delete_trainee
from attendance.extensions import db
from attendance.models import Trainee
from attendance.privacy.subject import rectify_trainee
from attendance.tenancy import get_owned, org_select

blp = Blueprint("trainees", __name__, url_prefix="/api/trainees", description="Stagiaires")


class TraineeSchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    birth_date = fields.Date(allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    external_id = fields.String(allow_none=True, validate=validate.Length(max=60))
    boe = fields.Boolean(
        required=True, metadata={"description": "Bénéficiaire de l'obligation d'emploi"}
    )
    aah = fields.Boolean(
        required=True, metadata={"description": "Allocation aux adultes handicapés"}
    )


class TraineeFilter(PageArgs):
    q = fields.String(metadata={"description": "Recherche sur le nom, le prénom ou l'e-mail"})
    boe = fields.Boolean()


TraineePage = page_schema(TraineeSchema, "TraineePage")


@blp.get("")
@blp.arguments(TraineeFilter, location="query")
@blp.response(200, TraineePage)
@permission_required("trainee:read")
def list_trainees(args):
    statement = org_select(Trainee, g.org).order_by(
        Trainee.last_name, Trainee.first_name, Trainee.id
    )
    if args.get("q"):
        like = f"%{args['q'].lower()}%"
        statement = statement.where(
            or_(
                db.func.lower(Trainee.last_name).like(like),
                db.func.lower(Trainee.first_name).like(like),
                db.func.lower(Trainee.email).like(like),
            )
        )
    if "boe" in args:
        statement = statement.where(Trainee.boe == args["boe"])
    return paginate(statement, args)


@blp.post("")
@blp.arguments(TraineeSchema)
@blp.response(201, TraineeSchema)
@permission_required("trainee:write")
def post_trainee(data):
    trainee = create_trainee(db.session, g.org, data)
    return trainee


@blp.get("/<int:trainee_id>")
@blp.response(200, TraineeSchema)
@permission_required("trainee:read")
def get_trainee(trainee_id):
    return get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")


@blp.patch("/<int:trainee_id>")
@blp.arguments(TraineeSchema(partial=True))
@blp.response(200, TraineeSchema)
@permission_required("trainee:write")
def patch_trainee(data, trainee_id):
    """Corrige l'identité d'un stagiaire ; le journal de preuves garde quels champs, par qui."""
    trainee = rectify_trainee(db.session, g.org, trainee_id, data, g.user)
    return trainee


@blp.delete("/<int:trainee_id>")
@blp.response(204)
@permission_required("trainee:write")
def remove_trainee(trainee_id):
    """Supprime un stagiaire sans aucune heure déclarée (R9)."""
    trainee = get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")
    delete_trainee(db.session, g.org, trainee)
