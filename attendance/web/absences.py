"""Pages for absences: the trainer (or allowed staff) justifies an absence from the slot's
roster, with a reason from the list and a supporting document; billing staff list a BDC
month's absences, filtered by justification, and download the documents.

The same operations as the API (``attendance.signing.absences``, ``roster.update_line``).
"""

import io

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for

from attendance.accounts import can
from attendance.clock import parse_month
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.french import month_fr
from attendance.models import JUSTIFICATIONS, Emargement, PurchaseOrder, Slot, Trainee
from attendance.signing import absences, roster
from attendance.signing.common import can_run_slot
from attendance.tenancy import get_owned
from attendance.web.pages import login_required

bp = Blueprint("absence_pages", __name__)


def _slot(slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.organisation_id != g.org.id:
        abort(404)
    if not (can_run_slot(g.user, slot) or can(g.user, "slot:read_all")):
        abort(404)
    return slot


def _back(slot_id: int, message: str, category: str = "ok"):
    flash(message, category)
    return redirect(url_for("signing.roster_page", slot_id=slot_id) + "#absences")


@bp.post("/seances/<int:slot_id>/absences/<int:trainee_id>")
@login_required
def justify(slot_id: int, trainee_id: int):
    """The justification form of one absent trainee, its document included (all or nothing)."""
    slot = _slot(slot_id)
    trainee = db.session.get(Trainee, trainee_id)
    if trainee is None or trainee.organisation_id != g.org.id:
        abort(404)
    changes = {
        "justification": request.form.get("justification") or "undecided",
        "justification_reason": request.form.get("justification_reason") or None,
    }
    upload = request.files.get("document")
    document = upload.read() if upload is not None and upload.filename else None
    try:
        roster.update_line(db.session, slot, trainee, g.user, changes, document)
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, f"Absence de {trainee.display_name} enregistrée.")


@bp.get("/absences/justificatif/<int:emargement_id>")
@login_required
def document(emargement_id: int):
    emargement = db.session.get(Emargement, emargement_id)
    if emargement is None or emargement.organisation_id != g.org.id:
        abort(404)
    try:
        content, media_type, name = absences.document_of(db.session, g.user, emargement)
    except DomainError:
        abort(404)
    return send_file(
        io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=name
    )


@bp.get("/absences/<int:purchase_order_id>/<month>")
@login_required
def month_absences(purchase_order_id: int, month: str):
    """The BDC month's absences, « justifiée », « non justifiée » or « à statuer »."""
    if not can(g.user, "absence:read"):
        abort(403)
    try:
        first = parse_month(month)
        order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    except DomainError:
        abort(404)
    chosen = request.args.get("justification")
    if chosen not in JUSTIFICATIONS:
        chosen = None
    rows = absences.absences_in_month(db.session, g.org.id, order.id, first, chosen)
    return render_template(
        "absences/month.html",
        order=order,
        month=f"{first:%Y-%m}",
        month_label=month_fr(first),
        absences=rows,
        chosen=chosen,
        labels=absences.JUSTIFICATION_LABELS,
        filters=absences.FILTER_LABELS,
    )
