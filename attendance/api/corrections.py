"""Corrections horaires (R12): exceptional hour corrections with their reason and sheet."""

from flask import g, request
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
from attendance.contract.corrections import create_correction
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.hours.classes import HOUR_CLASSES
from attendance.models import Correction
from attendance.tenancy import org_select

blp = Blueprint(
    "corrections", __name__, url_prefix="/api/corrections", description="Correctifs horaires (R12)"
)


class HourCorrectionSchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    trainee_id = fields.Integer(required=True)
    composante_id = fields.Integer(required=True)
    slot_id = fields.Integer(allow_none=True)
    scope = fields.String(required=True, validate=one_of(("day", "month")))
    day = fields.Date(required=True, metadata={"description": "Jour corrigé, ou un jour du mois"})
    hour_class = fields.String(required=True, validate=one_of(HOUR_CLASSES))
    hours = Hours(
        attribute="minutes",
        required=True,
        metadata={"description": "Heures réalisées qui remplacent celles du jour/mois"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))
    has_attachment = fields.Method("dump_attachment", dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    def dump_attachment(self, correction) -> bool:
        return correction.attachment is not None


class HourCorrectionFilter(PageArgs):
    trainee_id = fields.Integer()
    composante_id = fields.Integer()


HourCorrectionPage = page_schema(HourCorrectionSchema, "HourCorrectionPage")


@blp.get("")
@blp.arguments(HourCorrectionFilter, location="query")
@blp.response(200, HourCorrectionPage)
@permission_required("contract:read")
def list_corrections(args):
    statement = org_select(Correction, g.org).order_by(Correction.day, Correction.id)
    for key in ("trainee_id", "composante_id"):
        if args.get(key):
            statement = statement.where(getattr(Correction, key) == args[key])
    return paginate(statement, args)


@blp.post("")
@blp.arguments(HourCorrectionSchema, location="json_or_form")
@blp.response(201, HourCorrectionSchema)
@permission_required("contract:write")
def post_correction(data):
    """Saisit un correctif (formulaire multipart ; « attachment » = feuille papier, obligatoire)."""
    upload = request.files.get("attachment")
    content = upload.read() if upload else None
    if upload is not None and not content:
        raise DomainError("ATTACHMENT_EMPTY", "Le fichier joint est vide.")
    correction = create_correction(db.session, g.org, data, g.user, content)
    return correction
