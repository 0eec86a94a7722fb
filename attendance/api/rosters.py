"""The trainer's side of a slot: rotating QR code, live roster, marks, validation,
corrections and personal links for distance and autoformation slots."""

import io

from flask import g, send_file, url_for
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.accounts import can
from attendance.api.common import one_of, permission_required
from attendance.api.french import FrenchSchema
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.models import JUSTIFICATIONS, Slot, Trainee
from attendance.signing import absences
from attendance.signing import roster as roster_ops
from attendance.signing.common import can_run_slot, expected_trainees, find_emargement
from attendance.signing.qr import qr_svg
from attendance.signing.signins import issue_slot_link, qr_rotation_seconds, shown_slot_code
from attendance.tenancy import get_owned

blp = Blueprint(
    "rosters", __name__, url_prefix="/api/slots", description="Feuille de présence d'une séance"
)


class QrSchema(FrenchSchema):
    url = fields.String()
    svg = fields.String()
    short_code = fields.String(
        metadata={
            "description": "Les 6 caractères à afficher sous le QR code, à saisir sur "
            "le téléphone qui ne scanne pas ; ils changent avec lui."
        }
    )
    expires_at = fields.AwareDateTime()
    rotation_seconds = fields.Integer()


class RosterEmargementSchema(FrenchSchema):
    id = fields.Integer()
    status = fields.String()
    method = fields.String()
    signed_at = fields.AwareDateTime(allow_none=True)
    late_minutes = fields.Integer()
    early_leave_minutes = fields.Integer()
    confirmed = fields.Boolean()
    absence_reason = fields.String(allow_none=True)
    has_signature = fields.Function(lambda e: e.signature_png is not None)
    device_id = fields.String(allow_none=True)


class JustificationSchema(FrenchSchema):
    justification = fields.String(
        metadata={"description": "justified, unjustified ou undecided (à statuer)"}
    )
    reason = fields.String(attribute="reason_code", allow_none=True)
    reason_label = fields.Function(lambda j: absences.reason_label(j.reason_code))
    has_document = fields.Function(lambda j: j.document_sha256 is not None)
    document_type = fields.String(allow_none=True)
    document_sha256 = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime()


class RosterLineSchema(FrenchSchema):
    trainee_id = fields.Function(lambda line: line.trainee.id)
    trainee_name = fields.Function(lambda line: line.trainee.display_name)
    state = fields.String()
    correction_label = fields.String(
        allow_none=True,
        metadata={"description": "R12 : présence sans signature du stagiaire (correction)"},
    )
    emargement = fields.Nested(RosterEmargementSchema, allow_none=True)
    signals = fields.List(fields.String())
    justification = fields.Nested(
        JustificationSchema,
        allow_none=True,
        metadata={"description": "Justification de l'absence (aucune : à statuer)"},
    )


class RosterSchema(FrenchSchema):
    slot_id = fields.Integer()
    validated_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(RosterLineSchema))


class MarkSchema(FrenchSchema):
    status = fields.String(validate=one_of(("present", "absent")))
    late_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    early_leave_minutes = fields.Integer(validate=validate.Range(min=0, max=24 * 60))
    confirmed = fields.Boolean()
    absence_reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class LineChangeSchema(MarkSchema):
    """A roster line's change; the justification fields stay open after the slot's
    validation, until the month's (R11)."""

    justification = fields.String(validate=one_of(JUSTIFICATIONS))
    justification_reason = fields.String(
        allow_none=True,
        validate=one_of(tuple(absences.REASONS)),
        metadata={"description": "Motif : " + ", ".join(absences.REASONS)},
    )


class DocumentUploadSchema(FrenchSchema):
    document = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class CorrectionSchema(MarkSchema):
    trainee_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(max=1000))


class ValidationSchema(FrenchSchema):
    signature = fields.String(required=True, validate=validate.Length(max=1_000_000))


class LinkSchema(FrenchSchema):
    trainee_id = fields.Integer()
    trainee_name = fields.String()
    url = fields.String()


def _slot(slot_id: int, run: bool = False) -> Slot:
    """The caller's slot: 404 for another organisation's, or for a trainer not teaching it."""
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    if run and not can_run_slot(g.user, slot):
        raise NotFound("séance")
    if not (can_run_slot(g.user, slot) or can(g.user, "slot:read_all")):
        raise NotFound("séance")
    return slot


def _roster(slot: Slot) -> dict:
    return {
        "slot_id": slot.id,
        "validated_at": slot.validated_at,
        "lines": roster_ops.roster(db.session, slot),
    }


@blp.get("/<int:slot_id>/qr")
@blp.response(200, QrSchema)
@blp.alt_response(409, description="Hors du créneau d'émargement (OUTSIDE_SLOT_WINDOW)")
@permission_required("slot:read")
def get_qr(slot_id):
    """The code to show now; fetch again every ``rotation_seconds``. Refused outside the
    slot's sign-in window (``details.opens_at``: when it shows)."""
    slot = _slot(slot_id, run=True)
    shown = shown_slot_code(db.session, slot)
    url = url_for("signing.scanned_code", code=shown.code, _external=True)
    return {
        "url": url,
        "svg": qr_svg(url),
        "short_code": shown.short,
        "expires_at": shown.expires_at,
        "rotation_seconds": qr_rotation_seconds(),
    }


@blp.get("/<int:slot_id>/roster")
@blp.response(200, RosterSchema)
@permission_required("slot:read")
def get_roster(slot_id):
    """Who signed, who did not, and the fraud signals to look at."""
    return _roster(_slot(slot_id))


@blp.patch("/<int:slot_id>/roster/<int:trainee_id>")
@blp.arguments(LineChangeSchema)
@blp.response(200, RosterSchema)
@permission_required("slot:read")
def patch_roster_line(data, slot_id, trainee_id):
    """Before validation: absent, late or left early (minutes), autoformation confirmed.
    Until the month is validated: the absence's justification and its reason (the trainer,
    or staff allowed to justify absences)."""
    slot = _slot(slot_id, run=bool(set(data) - set(absences.FIELDS)))
    trainee = get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")
    roster_ops.update_line(db.session, slot, trainee, g.user, data)
    return _roster(db.session.get(Slot, slot_id))


def _absence(slot_id: int, trainee_id: int):
    slot = _slot(slot_id)
    trainee = get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")
    return slot, trainee


DOCUMENT_URL = "/<int:slot_id>/roster/<int:trainee_id>/absence-document"


@blp.put(DOCUMENT_URL)
@blp.arguments(DocumentUploadSchema, location="files")
@blp.response(200, JustificationSchema)
@blp.alt_response(415, description="Ni PDF, ni PNG, ni JPEG (ABSENCE_DOCUMENT_INVALID)")
@permission_required("slot:read")
def put_absence_document(files, slot_id, trainee_id):
    """Joint (ou remplace) le justificatif d'une absence : PDF, PNG ou JPEG de 5 Mo au plus,
    vérifié sur son contenu (champ multipart « document »)."""
    slot, trainee = _absence(slot_id, trainee_id)
    upload = files["document"]
    if not hasattr(upload, "read"):
        raise DomainError(
            "ABSENCE_DOCUMENT_INVALID",
            "Joignez le justificatif dans le champ « document ».",
            status=422,
        )
    return absences.justify(db.session, slot, trainee, g.user, {}, upload.read())


@blp.get(DOCUMENT_URL)
@blp.doc(responses={"200": {"description": "Le justificatif (PDF, PNG ou JPEG)"}})
@permission_required("slot:read")
def get_absence_document(slot_id, trainee_id):
    """Télécharge le justificatif d'une absence."""
    slot, trainee = _absence(slot_id, trainee_id)
    emargement = find_emargement(db.session, slot.id, trainee.id)
    if emargement is None:
        raise NotFound("absence")
    content, media_type, name = absences.document_of(db.session, g.user, emargement)
    return send_file(
        io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=name
    )


@blp.delete(DOCUMENT_URL)
@blp.response(200, JustificationSchema)
@permission_required("slot:read")
def delete_absence_document(slot_id, trainee_id):
    """Retire un justificatif envoyé par erreur (l'historique garde son empreinte)."""
    slot, trainee = _absence(slot_id, trainee_id)
    return absences.remove_document(db.session, slot, trainee, g.user)


@blp.post("/<int:slot_id>/validation")
@blp.arguments(ValidationSchema)
@blp.response(200, RosterSchema)
@permission_required("slot:read")
def post_validation(data, slot_id):
    """The trainer signs and validates the slot, which locks it."""
    slot = _slot(slot_id, run=True)
    roster_ops.validate_slot(db.session, slot, g.user, data["signature"])
    return _roster(db.session.get(Slot, slot_id))


@blp.post("/<int:slot_id>/corrections")
@blp.arguments(CorrectionSchema)
@blp.response(201, RosterSchema)
@permission_required("slot:read")
def post_correction(data, slot_id):
    """After validation: a change with its reason, kept in history."""
    slot = _slot(slot_id, run=True)
    trainee = get_owned(db.session, Trainee, data.pop("trainee_id"), g.org, "stagiaire")
    reason = data.pop("reason")
    roster_ops.correct(db.session, slot, trainee, g.user, data, reason)
    return _roster(db.session.get(Slot, slot_id))


@blp.get("/<int:slot_id>/links")
@blp.response(200, LinkSchema(many=True))
@permission_required("slot:read")
def get_links(slot_id):
    """Personal links for a distance or autoformation slot, one per expected trainee."""
    slot = _slot(slot_id, run=True)
    links = []
    for trainee in expected_trainees(db.session, slot):
        token = issue_slot_link(db.session, slot, trainee)
        links.append(
            {
                "trainee_id": trainee.id,
                "trainee_name": trainee.display_name,
                "url": url_for("signing.link_page", token=token, _external=True),
            }
        )
    return links
