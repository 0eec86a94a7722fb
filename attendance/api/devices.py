"""Staff actions on how a trainee signs: phone invitations, unbinding a phone, kiosk PIN
and QR card, company tutor links."""

from flask import g, url_for
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.extensions import db
from attendance.models import Trainee
from attendance.signing import devices, kiosk
from attendance.signing.qr import qr_svg
from attendance.signing.signins import create_tutor_link
from attendance.tenancy import get_owned

blp = Blueprint(
    "devices",
    __name__,
    url_prefix="/api/trainees",
    description="Téléphones, borne et tuteurs des stagiaires",
)


class LinkOut(FrenchSchema):
    url = fields.String()
    svg = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)


class PinIn(FrenchSchema):
    pin = fields.String(required=True, validate=validate.Length(max=8))


class TutorIn(FrenchSchema):
    tutor_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tutor_email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class RevokedOut(FrenchSchema):
    revoked = fields.Integer()


def _trainee(trainee_id: int) -> Trainee:
    return get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")


@blp.post("/<int:trainee_id>/invitations")
@blp.response(201, LinkOut)
@permission_required("trainee:write")
def post_invitation(trainee_id):
    """Invitation link and printable QR; opening it binds the phone (and unbinds the old)."""
    invitation, token = devices.create_invitation(db.session, g.org, _trainee(trainee_id), g.user)
    url = url_for("signing.invitation", token=token, _external=True)
    return {"url": url, "svg": qr_svg(url), "expires_at": invitation.expires_at}


@blp.delete("/<int:trainee_id>/devices")
@blp.response(200, RevokedOut)
@permission_required("trainee:write")
def delete_devices(trainee_id):
    """Unbind the trainee's phone (lost or replaced)."""
    revoked = devices.revoke_devices(db.session, g.org, _trainee(trainee_id), g.user)
    return {"revoked": revoked}


@blp.put("/<int:trainee_id>/kiosk-pin")
@blp.arguments(PinIn)
@blp.response(204)
@permission_required("trainee:write")
def put_kiosk_pin(data, trainee_id):
    """The PIN the trainee types on the shared tablet (4 to 8 digits)."""
    kiosk.set_pin(db.session, g.org, _trainee(trainee_id), data["pin"])


@blp.post("/<int:trainee_id>/kiosk-card")
@blp.response(201, LinkOut)
@permission_required("trainee:write")
def post_kiosk_card(trainee_id):
    """A new personal QR card for the tablet; the previous card stops working."""
    token = kiosk.issue_card(db.session, g.org, _trainee(trainee_id))
    return {"url": token, "svg": qr_svg(token), "expires_at": None}


@blp.post("/<int:trainee_id>/tutor-links")
@blp.arguments(TutorIn)
@blp.response(201, LinkOut)
@permission_required("trainee:write")
def post_tutor_link(data, trainee_id):
    """The company tutor's personal link to confirm the trainee's days."""
    invitation, token = create_tutor_link(
        db.session, _trainee(trainee_id), data["tutor_name"], data.get("tutor_email"), g.user.id
    )
    url = url_for("signing.tutor_page", token=token, _external=True)
    return {"url": url, "svg": qr_svg(url), "expires_at": invitation.expires_at}
