"""What every API module shares: the JSON body check, authentication, pagination, hour and
money fields."""

import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import wraps

from flask import g, request
from marshmallow import ValidationError, fields, validate
from sqlalchemy import func, select

from attendance.accounts import require, user_for_api_token
from attendance.api.french import FrenchSchema
from attendance.errors import DomainError, Unauthorized
from attendance.extensions import db
from attendance.text import invalid_characters, lone_surrogate

MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """True when arrays and objects nest deeper than ``MAX_JSON_DEPTH``, counted on the
    brackets outside strings, so a hostile body never reaches the recursive parser."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def refuse_malformed_json() -> None:
    """Every JSON body is checked once, before any view, rate limit or argument parser
    reads it: not UTF-8 or not JSON → 400 MALFORMED_JSON, nested deeper than 32 levels →
    400 JSON_TOO_DEEP, a lone surrogate anywhere → 422 INVALID_CHARACTERS; each with a
    French JSON body, never a 500 from the parser or the database."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return  # no body: the schema says which fields are missing
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("le corps n'est pas encodé en UTF-8") from exc
    if _too_deep(text):
        raise DomainError(
            "JSON_TOO_DEEP",
            f"Corps de requête refusé : le JSON imbrique plus de {MAX_JSON_DEPTH} niveaux "
            "de listes ou d'objets.",
            {"max_depth": MAX_JSON_DEPTH},
        )
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _malformed("JSON invalide") from exc
    found = lone_surrogate(body)
    if found:
        raise invalid_characters(found[0] or "corps", found[1])


def _malformed(why: str) -> DomainError:
    return DomainError(
        "MALFORMED_JSON",
        f"Corps de requête illisible ({why}) : envoyez un objet JSON valide, encodé en UTF-8.",
    )


def authenticated_user():
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        raise Unauthorized()
    return user_for_api_token(db.session, raw.strip())


def permission_required(permission: str):
    """Authenticate the bearer token, then check the role; sets ``g.user`` and ``g.org``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = authenticated_user()
            require(user, permission)
            g.user, g.org = user, user.organisation
            return view(*args, **kwargs)

        return wrapper

    return decorator


class Hours(fields.Field):
    """Hours in the API, integer minutes in the database (two decimals, never a float sum)."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Nombre d'heures attendu (par exemple 150 ou 12.5).",
        "negative": "Le nombre d'heures ne peut pas être négatif.",
    }

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float((Decimal(value) / 60).quantize(Decimal("0.01"), ROUND_HALF_UP))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        try:
            hours = Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not hours.is_finite():
            raise self.make_error("invalid")
        if hours < 0:
            raise self.make_error("negative")
        if hours > 100_000:
            raise self.make_error("invalid")
        return int((hours * 60).to_integral_value(ROUND_HALF_UP))


class Money(fields.Field):
    """Exact euros as a string (« 12.50 »), so no client turns them into a float."""

    default_error_messages = {  # noqa: RUF012
        "invalid": 'Montant attendu en euros, par exemple "12.50".',
    }

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        text = format(Decimal(value).quantize(Decimal("0.0001")), "f").rstrip("0")
        whole, _, cents = text.partition(".")
        return f"{whole}.{cents.ljust(2, '0')}"

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e9"):
            raise self.make_error("invalid")
        if amount != amount.quantize(Decimal("0.0001")):
            raise ValidationError("Au plus quatre décimales.")
        return amount


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(choices, error="Valeur inattendue : choisissez parmi {choices}.")


class PageArgs(FrenchSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="Page ≥ 1."))
    per_page = fields.Integer(
        load_default=50, validate=validate.Range(min=1, max=200, error="Entre 1 et 200 par page.")
    )


def page_schema(item_schema_class, name: str):
    """An envelope schema ``{items, page, per_page, total}`` for one resource."""
    return type(
        name,
        (FrenchSchema,),
        {
            "items": fields.List(fields.Nested(item_schema_class), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
    )


def paginate(statement, args: dict) -> dict:
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}
