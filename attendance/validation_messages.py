"""French validation messages of every marshmallow field, API and pages alike: the person
fixing the form reads French (DOMAIN.md). Field instances copy their messages when their
schema class is built, so this runs before any schema module defines one: both the API's
``french`` module and the pages' form modules call ``install`` after their imports."""

from marshmallow import fields

_MESSAGES = {
    fields.Field: {
        "required": "Champ obligatoire.",
        "null": "Ce champ ne peut pas être vide.",
        "validator_failed": "Valeur invalide.",
    },
    fields.String: {"invalid": "Texte attendu.", "invalid_utf8": "Texte UTF-8 invalide."},
    fields.Integer: {"invalid": "Nombre entier attendu."},
    fields.Number: {"invalid": "Nombre attendu.", "too_large": "Nombre trop grand."},
    fields.Decimal: {"special": "Nombre décimal attendu."},
    fields.Boolean: {"invalid": "Valeur vrai/faux (true/false) attendue."},
    fields.Date: {"invalid": "Date attendue au format AAAA-MM-JJ."},
    fields.DateTime: {"invalid": "Date et heure attendues au format ISO 8601."},
    fields.AwareDateTime: {
        "invalid_awareness": "Indiquez le fuseau horaire (par exemple 2026-11-23T09:00:00+01:00)."
    },
    fields.Email: {"invalid": "Adresse e-mail invalide."},
    fields.List: {"invalid": "Liste attendue."},
    fields.Dict: {"invalid": "Objet attendu."},
}


def install() -> None:
    for field_class, messages in _MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}


install()
