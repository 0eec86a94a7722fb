"""What the BDC and composante forms hold: marshmallow reads the posted text into the values
the contract operations take (the same keys as the API's schemas), with French messages
for a date, a number of hours or a price that cannot be read."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from attendance.models import BDC_MODES, BILLING_UNITS
from attendance.web.form_fields import FormSchema, FrenchHours, FrenchMoney

MODE_LABELS = {
    "presentiel": "Présentiel",
    "hybride": "Hybride",
    "e_formation": "Occitanie e-formation",
}
UNIT_LABELS = {"trainee_hour": "Heure-stagiaire", "group_hour": "Heure-groupe"}


def price_fr(amount: Decimal) -> str:
    """« 12,50 € », « 12,3456 € »: the price as contracted, up to its fourth decimal."""
    text = format(Decimal(amount).quantize(Decimal("0.0001")), "f").rstrip("0")
    whole, _, cents = text.partition(".")
    return f"{whole},{cents.ljust(2, '0')} €"


def hours_input(minutes: int) -> str:
    """Minutes as the hours field shows them back: « 1800 », « 12,5 »."""
    text = format((Decimal(minutes) / 60).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".").replace(".", ",")


class PurchaseOrderForm(FormSchema):
    """The API's ``PurchaseOrderSchema`` as a form posts it. The opening date is not an
    input: R8 sets it to the first trainee's entry date."""

    number = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title = fields.String(load_default="", validate=validate.Length(max=300))
    dispositif = fields.String(required=True, validate=validate.Length(min=1, max=40))
    mode = fields.String(
        required=True,
        validate=validate.OneOf(BDC_MODES, error="Choisissez un mode dans la liste."),
    )
    planned_start = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    sites = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)
    planned_trainees = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=10_000, error="Entre 0 et 10 000 stagiaires."),
    )
    co_financed = fields.Boolean(load_default=False)

    @pre_load
    def form_shapes(self, data, **kwargs):
        """Sites are typed on one line, separated by « ; »; a blank optional number is 0;
        an unticked checkbox is not posted at all."""
        shaped = {key: value for key, value in data.items() if value != ""}
        shaped["sites"] = [s.strip() for s in data.get("sites", "").split(";") if s.strip()]
        shaped["co_financed"] = "co_financed" in data
        return shaped


class ComposanteForm(FormSchema):
    """The API's ``ComposanteSchema`` as a form posts it (hours and euros typed the French way)."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    contracted_centre_hours = FrenchHours(attribute="contracted_centre_minutes", required=True)
    contracted_company_hours = FrenchHours(attribute="contracted_company_minutes", load_default=0)
    billing_unit = fields.String(
        load_default="trainee_hour",
        validate=validate.OneOf(BILLING_UNITS, error="Choisissez une unité dans la liste."),
    )
    unit_price = FrenchMoney(required=True)

    @pre_load
    def blanks(self, data, **kwargs):
        """A blank field is a missing one: « Champ obligatoire. », or its default."""
        return {key: value for key, value in data.items() if value != ""}


def read_form(schema: Schema, form) -> tuple[dict, dict[str, str]]:
    """(values, French errors by field): one message per field, ready to show beside it."""
    try:
        return schema.load(form.to_dict()), {}
    except ValidationError as error:
        messages = {}
        for key, value in error.messages.items():
            if isinstance(value, dict):  # a list field: its items' messages
                value = [m for item in value.values() for m in item]
            messages[key] = " ".join(value) if isinstance(value, list) else str(value)
        return {}, messages
