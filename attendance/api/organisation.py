"""The organisation's settings (administrators): the same checks as the settings page."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.common import Money, permission_required
from attendance.api.french import FrenchSchema
from attendance.extensions import db
from attendance.organisations import update_settings

blp = Blueprint(
    "organisation",
    __name__,
    url_prefix="/api/organisation",
    description="Paramètres de l'organisme",
)


class OrganisationSchema(FrenchSchema):
    name = fields.String(validate=validate.Length(max=200))
    siret = fields.String(validate=validate.Length(max=40))
    address = fields.String(validate=validate.Length(max=500))
    signatory_name = fields.String(validate=validate.Length(max=200))
    signatory_title = fields.String(validate=validate.Length(max=200))
    has_stamp = fields.Function(lambda org: org.stamp_png is not None, dump_only=True)
    has_signature = fields.Function(lambda org: org.signature_png is not None, dump_only=True)
    vat_exempt = fields.Boolean()
    vat_rate = Money()
    reminder_trainee_delay_minutes = fields.Integer()
    reminder_trainer_delay_minutes = fields.Integer()
    retention_years = fields.Integer()
    retention_cofinanced_years = fields.Integer()
    payment_terms = fields.String(validate=validate.Length(max=2000))
    invoice_mentions = fields.String(validate=validate.Length(max=2000))


@blp.get("")
@blp.response(200, OrganisationSchema)
@permission_required("organisation:write")
def get_organisation():
    return g.org


@blp.patch("")
@blp.arguments(OrganisationSchema(partial=True))
@blp.response(200, OrganisationSchema)
@permission_required("organisation:write")
def patch_organisation(data):
    """Modifie les paramètres : tout ou rien, chaque champ refusé est nommé
    (``details.fields``). Le cachet et la signature se déposent depuis la page Paramètres."""
    if "vat_rate" in data and "vat_exempt" not in data:
        data["vat_exempt"] = False
    return update_settings(db.session, g.org, data)
