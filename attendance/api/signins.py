"""Sign-in endpoints called by phones, the kiosk tablet, personal links and tutors.

No bearer token here: the proof is the slot code (or personal link) plus the phone's device
cookie, the kiosk cookie and PIN, or the tutor's link. Bodies are JSON only, so a form on
another site cannot post them (and the cookies are SameSite=Lax).
"""

from flask import request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.french import FrenchSchema
from attendance.extensions import db
from attendance.signing.common import Client
from attendance.signing.devices import DEVICE_COOKIE
from attendance.signing.kiosk import KIOSK_COOKIE, sign_at_kiosk
from attendance.signing.quotas import signin_limited
from attendance.signing.signins import confirm_company_day, sign_with_link, sign_with_phone

blp = Blueprint(
    "signins",
    __name__,
    url_prefix="/api/signins",
    description="Émargements (téléphone, borne, lien, tuteur)",
)

_SIGNATURE = fields.String(
    required=True,
    validate=validate.Length(max=1_000_000),
    metadata={"description": "PNG en data URL (data:image/png;base64,…)"},
)
_TOKEN = fields.String(required=True, validate=validate.Length(min=1, max=4096))
_CONFLICTS = (
    "Déjà signé, séance validée, ou hors du créneau d'émargement (OUTSIDE_SLOT_WINDOW : "
    "de SIGNIN_OPENING_MINUTES avant le début jusqu'à la fin de la séance)"
)


class SignedSchema(FrenchSchema):
    emargement_id = fields.Integer(attribute="id")
    slot_id = fields.Integer()
    trainee_id = fields.Integer()
    status = fields.String()
    method = fields.String()
    signed_at = fields.AwareDateTime()
    late_minutes = fields.Integer()
    confirmed = fields.Boolean()


class PhoneSignIn(FrenchSchema):
    slot_id = fields.Integer(required=True)
    token = _TOKEN
    signature = _SIGNATURE


class LinkSignIn(FrenchSchema):
    token = _TOKEN
    signature = _SIGNATURE
    declaration = fields.String(
        allow_none=True, validate=validate.Length(max=1000), metadata={"multiline": True}
    )


class KioskSignIn(FrenchSchema):
    trainee_id = fields.Integer(allow_none=True)
    pin = fields.String(allow_none=True, validate=validate.Length(max=8))
    card = fields.String(allow_none=True, validate=validate.Length(max=4096))
    signature = _SIGNATURE


class TutorConfirmation(FrenchSchema):
    token = _TOKEN
    slot_id = fields.Integer(required=True)
    present = fields.Boolean(required=True)
    signature = _SIGNATURE


def client() -> Client:
    return Client(ip=request.remote_addr, user_agent=request.headers.get("User-Agent"))


@blp.post("")
@signin_limited
@blp.arguments(PhoneSignIn)
@blp.response(201, SignedSchema)
@blp.alt_response(429, description="Trop de tentatives depuis ce téléphone ou cette adresse")
@blp.alt_response(409, description=_CONFLICTS)
def post_phone_signin(data):
    """Sign a slot from the bound phone (QR code or the page's ticket)."""
    return sign_with_phone(
        db.session,
        data["slot_id"],
        data["token"],
        data["signature"],
        request.cookies.get(DEVICE_COOKIE),
        client(),
    )


@blp.post("/link")
@signin_limited
@blp.arguments(LinkSignIn)
@blp.response(201, SignedSchema)
@blp.alt_response(429, description="Trop de tentatives depuis ce téléphone ou cette adresse")
@blp.alt_response(409, description=_CONFLICTS)
def post_link_signin(data):
    """Sign a distance (FAD) or autoformation slot through the trainee's personal link."""
    return sign_with_link(
        db.session,
        data["token"],
        data["signature"],
        client(),
        request.cookies.get(DEVICE_COOKIE),
        data.get("declaration"),
    )


@blp.post("/kiosk")
@signin_limited
@blp.arguments(KioskSignIn)
@blp.response(201, SignedSchema)
@blp.alt_response(429, description="Trop de tentatives depuis ce téléphone ou cette adresse")
@blp.alt_response(409, description=_CONFLICTS)
def post_kiosk_signin(data):
    """Sign on the shared tablet: name and PIN, or personal QR card. A PIN try is counted
    (committed) before the PIN is checked, so a refusal rolls back nothing of it."""
    return sign_at_kiosk(
        db.session,
        request.cookies.get(KIOSK_COOKIE),
        data.get("trainee_id"),
        data["signature"],
        client(),
        pin=data.get("pin"),
        card=data.get("card"),
    )


@blp.post("/tutor")
@signin_limited
@blp.arguments(TutorConfirmation)
@blp.response(201, SignedSchema)
@blp.alt_response(429, description="Trop de tentatives depuis ce téléphone ou cette adresse")
def post_tutor_confirmation(data):
    """The company tutor confirms one day of the trainee's company period."""
    return confirm_company_day(
        db.session, data["token"], data["slot_id"], data["present"], data["signature"], client()
    )
