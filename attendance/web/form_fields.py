"""The pieces every staff form shares: French messages installed before any schema is built,
numbers read as people type them (« 1 800,5 », « 12,50 € »), and a base schema that trims
the text and ignores what is not a field (the CSRF token)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, fields, pre_load

from attendance import validation_messages

validation_messages.install()  # before the schemas of the form modules are built


def number_text(value) -> str:
    """« 1 800,5 » or « 12,50 € » as people type them, read as « 1800.5 » and « 12.50 »."""
    text = str(value).strip().replace("€", "").replace(",", ".")
    return "".join(text.split())


class FrenchHours(fields.Field):
    """Hours as typed (« 1800 », « 12,5 »), integer minutes for the domain."""

    default_error_messages = {  # noqa: RUF012 (marshmallow reads a class attribute)
        "invalid": "Nombre d'heures attendu (par exemple 150 ou 12,5).",
        "negative": "Le nombre d'heures ne peut pas être négatif.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            hours = Decimal(number_text(value))
        except (InvalidOperation, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not hours.is_finite() or hours > 100_000:
            raise self.make_error("invalid")
        if hours < 0:
            raise self.make_error("negative")
        return int((hours * 60).to_integral_value(ROUND_HALF_UP))


class FrenchMoney(fields.Field):
    """A price in euros as typed (« 12,50 », « 12,3456 € »): an exact Decimal, never a float."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Montant en euros attendu, par exemple 12,50.",
        "places": "Au plus quatre décimales.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            amount = Decimal(number_text(value))
        except (InvalidOperation, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e9"):
            raise self.make_error("invalid")
        if amount != amount.quantize(Decimal("0.0001")):
            raise self.make_error("places")
        return amount


class FormSchema(Schema):
    """Unknown fields (the CSRF token) are ignored; text is trimmed."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def trimmed(self, data, **kwargs):
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
