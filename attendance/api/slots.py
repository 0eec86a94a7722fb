"""Slots (séances). Trainers see only the slots they teach. Writes run the planning checks
(``contract.planning``): a double-booked trainer or room is refused (409
``PLANNING_CONFLICT``); warnings (public holiday, room capacity, a trainee on two slots)
refuse with 409 ``PLANNING_NEEDS_CONFIRMATION`` until the request says ``confirm: true``."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.accounts import can
from attendance.api.common import PageArgs, one_of, page_schema, paginate, permission_required
from attendance.api.french import FrenchSchema
from attendance.contract.planning import check_update, plan_slots
from attendance.contract.slots import delete_slot, update_slot
from attendance.errors import NotFound
from attendance.extensions import db
from attendance.models import SLOT_KINDS, Composante, Slot
from attendance.tenancy import get_owned, org_select

blp = Blueprint("slots", __name__, url_prefix="/api/slots", description="Séances")


class SlotSchema(FrenchSchema):
    id = fields.Integer(dump_only=True)
    composante_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=one_of(SLOT_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    title = fields.String(validate=validate.Length(max=300))
    site = fields.String(allow_none=True, validate=validate.Length(max=200))
    company_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    online_url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    objective = fields.String(
        allow_none=True, validate=validate.Length(max=1000), metadata={"multiline": True}
    )
    group_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    trainer_id = fields.Integer(allow_none=True)
    trainee_id = fields.Integer(allow_none=True)
    room_id = fields.Integer(allow_none=True)
    confirm = fields.Boolean(
        load_only=True,
        metadata={"description": "true: save despite the planning's warnings"},
    )
    validated_at = fields.DateTime(dump_only=True, allow_none=True)


class SlotFilter(PageArgs):
    composante_id = fields.Integer()
    purchase_order_id = fields.Integer()
    kind = fields.String(validate=one_of(SLOT_KINDS))
    trainer_id = fields.Integer()
    starts_from = fields.AwareDateTime()
    starts_before = fields.AwareDateTime()


SlotPage = page_schema(SlotSchema, "SlotPage")


def _visible_slots():
    statement = org_select(Slot, g.org)
    if not can(g.user, "slot:read_all"):
        statement = statement.where(Slot.trainer_id == g.user.id)
    return statement


@blp.get("")
@blp.arguments(SlotFilter, location="query")
@blp.response(200, SlotPage)
@permission_required("slot:read")
def list_slots(args):
    statement = _visible_slots().order_by(Slot.starts_at, Slot.id)
    for key in ("composante_id", "kind", "trainer_id"):
        if args.get(key):
            statement = statement.where(getattr(Slot, key) == args[key])
    if args.get("purchase_order_id"):
        statement = statement.join(Composante).where(
            Composante.purchase_order_id == args["purchase_order_id"]
        )
    if args.get("starts_from"):
        statement = statement.where(Slot.starts_at >= args["starts_from"])
    if args.get("starts_before"):
        statement = statement.where(Slot.starts_at < args["starts_before"])
    return paginate(statement, args)


@blp.post("")
@blp.arguments(SlotSchema)
@blp.response(201, SlotSchema)
@permission_required("slot:write")
def post_slot(data):
    confirmed = data.pop("confirm", False)
    [slot] = plan_slots(db.session, g.org, [data], confirmed)
    return slot


@blp.get("/<int:slot_id>")
@blp.response(200, SlotSchema)
@permission_required("slot:read")
def get_slot(slot_id):
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    if not can(g.user, "slot:read_all") and slot.trainer_id != g.user.id:
        raise NotFound("séance")
    return slot


@blp.patch("/<int:slot_id>")
@blp.arguments(SlotSchema(partial=True))
@blp.response(200, SlotSchema)
@permission_required("slot:write")
def patch_slot(data, slot_id):
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    confirmed = data.pop("confirm", False)
    update_slot(db.session, g.org, slot, data)
    check_update(db.session, slot, data.keys(), confirmed)
    return slot


@blp.delete("/<int:slot_id>")
@blp.response(204)
@permission_required("slot:write")
def remove_slot(slot_id):
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    delete_slot(db.session, g.org, slot)
