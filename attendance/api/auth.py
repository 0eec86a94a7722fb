"""Staff log in for an API bearer token."""

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import fields

from attendance.accounts import authenticate, issue_api_token
from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.extensions import db
from attendance.security.login import password_guarded

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Connexion et jetons")


class LoginSchema(FrenchSchema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(FrenchSchema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    role = fields.String(required=True)


class MeSchema(FrenchSchema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    organisation_name = fields.String(attribute="organisation.name")


@blp.post("/token")
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="E-mail ou mot de passe incorrect")
@blp.alt_response(429, description="Trop de tentatives échouées : patientez (Retry-After)")
@blp.doc(security=[])
def login(credentials):
    """Échange e-mail et mot de passe contre un jeton d'accès."""
    user = password_guarded(
        lambda: authenticate(db.session, credentials["email"], credentials["password"]),
        credentials["email"],
    )
    raw, token = issue_api_token(db.session, user, current_app.config["API_TOKEN_TTL_HOURS"])
    return {"token": raw, "expires_at": token.expires_at, "role": user.role}


@blp.get("/me")
@blp.response(200, MeSchema)
@permission_required("slot:read")
def me():
    """Le compte connecté."""
    return g.user
