"""First-time phones in the room: the requests a slot's trainees made by picking their name
on a phone that is not bound, and the trainer's answer. Approving binds the phone as an
invitation does (``attendance.signing.binding_requests``)."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields

from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.errors import NotFound
from attendance.extensions import db
from attendance.models import Slot
from attendance.signing import binding_requests
from attendance.signing.common import can_run_slot
from attendance.tenancy import get_owned

blp = Blueprint(
    "binding_requests",
    __name__,
    url_prefix="/api/slots",
    description="Téléphones enregistrés en séance, sur approbation du formateur",
)


class PendingBindingSchema(FrenchSchema):
    id = fields.Integer()
    trainee_id = fields.Integer()
    trainee_name = fields.String()
    created_at = fields.AwareDateTime()
    phone = fields.String(metadata={"description": "Système et navigateur du téléphone"})
    replaces_phone_bound_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Le téléphone déjà lié que l'approbation remplacerait"},
    )


class DecisionSchema(FrenchSchema):
    id = fields.Integer()
    slot_id = fields.Integer()
    trainee_id = fields.Integer()
    status = fields.String(metadata={"description": "approved ou refused"})
    decided_at = fields.AwareDateTime()
    decided_by_id = fields.Integer()


def _slot(slot_id: int) -> Slot:
    """A slot of the caller's organisation that the caller runs (its trainer, or an admin)."""
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    if not can_run_slot(g.user, slot):
        raise NotFound("séance")
    return slot


@blp.get("/<int:slot_id>/binding-requests")
@blp.response(200, PendingBindingSchema(many=True))
@permission_required("slot:read")
def get_binding_requests(slot_id):
    """Phones waiting for the trainer's approval, oldest first."""
    return binding_requests.pending_for_slot(db.session, _slot(slot_id))


@blp.post("/<int:slot_id>/binding-requests/<int:binding_request_id>/approve")
@blp.response(200, DecisionSchema)
@blp.alt_response(409, description="Déjà décidée (BINDING_REQUEST_DECIDED) ou hors créneau")
@permission_required("slot:read")
def post_approve(slot_id, binding_request_id):
    """The trainee is in the room with this phone: bind it (the trainee's other phone is
    unbound), logged in the evidence chain with the approver."""
    return binding_requests.approve(db.session, _slot(slot_id), binding_request_id, g.user)


@blp.post("/<int:slot_id>/binding-requests/<int:binding_request_id>/refuse")
@blp.response(200, DecisionSchema)
@blp.alt_response(409, description="Déjà décidée (BINDING_REQUEST_DECIDED)")
@permission_required("slot:read")
def post_refuse(slot_id, binding_request_id):
    """Not this person or not this phone: the phone is told to sign on the kiosk."""
    return binding_requests.refuse(db.session, _slot(slot_id), binding_request_id, g.user)
