"""French validation messages: the person fixing the form reads French (DOMAIN.md); and
the one check of every text the API receives (``attendance.text``)."""

from collections.abc import Mapping

from marshmallow import Schema, fields, pre_load

from attendance.text import forbidden_character, invalid_characters
from attendance.validation_messages import install


def _multiline(field: fields.Field | None) -> bool:
    """A field declared ``metadata={"multiline": True}`` keeps tabs and line breaks."""
    while isinstance(field, fields.List):
        field = field.inner
    return bool(field is not None and field.metadata.get("multiline"))


def _nested(field: fields.Field | None) -> bool:
    while isinstance(field, fields.List):
        field = field.inner
    return isinstance(field, fields.Nested)


def _refuse_forbidden(name: str, value, multiline: bool) -> None:
    """Walk a value (text, list, object) and refuse the first forbidden character."""
    if isinstance(value, str):
        character = forbidden_character(value, multiline)
        if character is not None:
            raise invalid_characters(name, character)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_forbidden(name, str(key), False)
            _refuse_forbidden(f"{name}.{key}", item, multiline)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_forbidden(name, item, multiline)


class FrenchSchema(Schema):
    """Base of every API schema: French messages for schema-level errors, and no control
    character or lone surrogate in any text loaded (422 INVALID_CHARACTERS naming the
    field) before a field sees it, so none reaches the database or an export."""

    error_messages = {  # noqa: RUF012 (marshmallow reads a class attribute)
        "unknown": "Champ inconnu.",
        "type": "Objet JSON attendu.",
    }

    @pre_load
    def refuse_forbidden_characters(self, data, **kwargs):
        """Nested schemas check their own fields (they know which are multi-line)."""
        if not isinstance(data, Mapping):
            return data
        by_key = {field.data_key or name: field for name, field in self.fields.items()}
        for key, value in data.items():
            field = by_key.get(key)
            _refuse_forbidden(str(key), str(key), False)
            if not _nested(field):
                _refuse_forbidden(str(key), value, _multiline(field))
        return data


install()
