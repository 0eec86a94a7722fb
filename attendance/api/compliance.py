"""Realised hours, contract checks and the compliance view of a BDC's month."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields

from attendance.api.common import Hours, permission_required
from attendance.api.french import FrenchSchema
from attendance.clock import parse_month
from attendance.extensions import db
from attendance.hours.caps import billable_month_hours, cap_checks
from attendance.hours.compliance import compliance_view

blp = Blueprint(
    "hours",
    __name__,
    url_prefix="/api/hours",
    description="Heures réalisées, contrôles du contrat et conformité du mois",
)
MONTH_PATH = "/purchase-orders/<int:purchase_order_id>/months/<string:month>"


class CapCheckSchema(FrenchSchema):
    rule = fields.String(metadata={"description": "R1, R2, R3, R4, R7 ou R10"})
    status = fields.String(metadata={"description": "ok, warning ou exceeded"})
    message = fields.String()
    figures = fields.Dict(metadata={"description": "Les chiffres derrière le statut (minutes)"})
    trainee_id = fields.Integer(allow_none=True)
    composante_id = fields.Integer(allow_none=True)
    slot_id = fields.Integer(allow_none=True)
    excess_hours = Hours(attribute="excess_minutes")
    billable_hours = Hours(attribute="billable_minutes", allow_none=True)


class HoursLineSchema(FrenchSchema):
    trainee_id = fields.Integer()
    composante_id = fields.Integer()
    hour_class = fields.String()
    hours = Hours(attribute="minutes")
    billable_hours = Hours(attribute="billable_minutes")
    corrected_hours = Hours(attribute="corrected_minutes")
    reason = fields.String(allow_none=True, metadata={"description": "Pourquoi non facturable"})


class MonthHoursSchema(FrenchSchema):
    month = fields.String()
    items = fields.List(fields.Nested(HoursLineSchema))


class ChecksSchema(FrenchSchema):
    month = fields.String()
    items = fields.List(fields.Nested(CapCheckSchema))


class HoursByClass(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        hours = Hours()
        return {cls: hours._serialize(minutes, cls, obj) for cls, minutes in value.items()}


class TraineeLineSchema(FrenchSchema):
    trainee_id = fields.Integer()
    name = fields.String()
    hours_by_class = HoursByClass(attribute="minutes_by_class")
    total_hours = Hours(attribute="total_minutes")
    billable_hours = Hours(attribute="billable_minutes")
    corrected_hours = Hours(attribute="corrected_minutes")
    status = fields.String()
    checks = fields.List(fields.Nested(CapCheckSchema))


class SlotLineSchema(FrenchSchema):
    slot_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    kind = fields.String()
    title = fields.String()
    composante_code = fields.String()
    trainer_name = fields.String(allow_none=True)
    validated = fields.Boolean()
    trainer_signed = fields.Boolean()
    present = fields.Integer()
    missing_trainees = fields.List(fields.String())


class CorrectionLineSchema(FrenchSchema):
    correction_id = fields.Integer()
    trainee_name = fields.String()
    composante_code = fields.String()
    scope = fields.String()
    day = fields.Date()
    hour_class = fields.String()
    hours = Hours(attribute="minutes")
    reason = fields.String()
    validated = fields.Boolean()
    has_attachment = fields.Boolean()


class ComplianceSchema(FrenchSchema):
    purchase_order_id = fields.Function(lambda view: view.purchase_order.id)
    purchase_order_number = fields.Function(lambda view: view.purchase_order.number)
    month = fields.Function(lambda view: view.month.strftime("%Y-%m"))
    status = fields.String()
    hours_by_class = HoursByClass(attribute="totals_by_class")
    trainees = fields.List(fields.Nested(TraineeLineSchema))
    checks = fields.List(fields.Nested(CapCheckSchema))
    slots_missing_trainee_signature = fields.List(fields.Nested(SlotLineSchema))
    slots_missing_trainer_signature = fields.List(fields.Nested(SlotLineSchema))
    slots_not_validated = fields.List(fields.Nested(SlotLineSchema))
    corrections = fields.List(fields.Nested(CorrectionLineSchema))


@blp.get(MONTH_PATH)
@blp.response(200, MonthHoursSchema)
@permission_required("contract:read")
def get_month_hours(purchase_order_id, month):
    """Heures réalisées et facturables du mois, par stagiaire, composante et classe."""
    first = parse_month(month)
    rows = billable_month_hours(db.session, g.org, purchase_order_id, first)
    return {"month": first.strftime("%Y-%m"), "items": rows}


@blp.get(MONTH_PATH + "/checks")
@blp.response(200, ChecksSchema)
@permission_required("contract:read")
def get_cap_checks(purchase_order_id, month):
    """Contrôles du contrat (R1, R2, R3, R4, R7, R10) : statut et chiffres."""
    first = parse_month(month)
    return {
        "month": first.strftime("%Y-%m"),
        "items": cap_checks(db.session, g.org, purchase_order_id, first),
    }


@blp.get(MONTH_PATH + "/compliance")
@blp.response(200, ComplianceSchema)
@permission_required("contract:read")
def get_compliance(purchase_order_id, month):
    """Vue de conformité du mois : heures par classe, plafonds, signatures, corrections."""
    return compliance_view(db.session, g.org, purchase_order_id, parse_month(month))
