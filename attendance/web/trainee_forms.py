"""What the trainee and pathway forms hold: marshmallow reads the posted text into the
values the domain functions take, and a refusal is placed next to the field it concerns."""

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from attendance.errors import DomainError
from attendance.web.form_fields import FormSchema, FrenchHours

_OPTIONAL_TEXT = ("birth_date", "email", "phone", "external_id", "effective_exit_date")
STATUS_LABELS = {
    "planned": "Prévu",
    "in_training": "En formation",
    "completed": "Terminé",
    "abandon": "Abandon",
}
EDITABLE_STATUSES = ("planned", "in_training", "completed")


class _FormSchema(FormSchema):
    """Empty optional fields are absent values (blank counts as empty: marshmallow runs the
    hooks in name order, so this one may come before the base schema's trimming)."""

    @pre_load
    def blanks_are_none(self, data, **kwargs):
        cleaned = dict(data)
        for key in _OPTIONAL_TEXT:
            if isinstance(cleaned.get(key), str) and not cleaned[key].strip():
                cleaned[key] = None
        return cleaned


class TraineeForm(_FormSchema):
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    birth_date = fields.Date(allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    external_id = fields.String(allow_none=True, validate=validate.Length(max=60))
    boe = fields.Boolean(load_default=False)
    aah = fields.Boolean(load_default=False)

    @pre_load
    def checkboxes(self, data, **kwargs):
        """An unticked checkbox is not posted at all: it means « non »."""
        return {**data, "boe": "boe" in data, "aah": "aah" in data}


class PathwayForm(_FormSchema):
    composante_id = fields.Integer(required=True)
    entry_date = fields.Date(required=True)
    planned_exit_date = fields.Date(required=True)
    effective_exit_date = fields.Date(allow_none=True)
    prescribed_centre_minutes = FrenchHours(required=True)
    prescribed_company_minutes = FrenchHours(load_default=0)
    status = fields.String(validate=validate.OneOf(EDITABLE_STATUSES))
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class AbandonForm(_FormSchema):
    exit_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


# The field a rule's refusal concerns (DOMAIN.md R1, R2, R6, R9, R10, R15).
FIELD_OF_CODE = {
    "R1_PATHWAY_HOURS_EXCEEDED": "prescribed_centre_minutes",
    "R2_COMPANY_HOURS_EXCEEDED": "prescribed_company_minutes",
    "NEGATIVE_HOURS": "prescribed_centre_minutes",
    "R6_ENTRY_YEAR": "entry_date",
    "ENTRY_OUTSIDE_BDC": "entry_date",
    "EXIT_AFTER_BDC_END": "planned_exit_date",
    "EXIT_BEFORE_ENTRY": "planned_exit_date",
    "PATHWAY_EXISTS": "composante_id",
    "R15_BOE_AAH_INCONSISTENT": "aah",
    "R9_NO_HOURS_FOR_ABANDON": "exit_date",
    "ALREADY_ABANDONED": "exit_date",
}


def read_form(schema: Schema, form) -> tuple[dict, dict]:
    """(values, errors by field): the errors are French messages, one per field."""
    try:
        return schema.load(form.to_dict()), {}
    except ValidationError as error:
        messages = {
            key: " ".join(value) if isinstance(value, list) else str(value)
            for key, value in error.messages.items()
        }
        return {}, messages


def errors_of(error: DomainError, changed: list[str] | None = None) -> dict:
    """A domain refusal placed by its field. R10 names its kind of hours; a validated month
    (R11) concerns the first field the person changed."""
    field = FIELD_OF_CODE.get(error.code)
    if error.code == "R10_CONTRACTED_VOLUME_EXCEEDED":
        company = error.details.get("hour_type", "") != "centre"
        field = "prescribed_company_minutes" if company else "prescribed_centre_minutes"
    if error.code == "EXIT_BEFORE_ENTRY" and "effective" in error.message:
        field = "effective_exit_date"
    if error.code == "MONTH_VALIDATED" and changed:
        field = changed[0]
    return {field or "_form": error.message}
