"""Pages for billing staff: the hours and compliance of a BDC's month (French)."""

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from attendance.accounts import can
from attendance.clock import parse_month
from attendance.contract.pathways import align_prescribed_to_realised, pathways_to_align
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import hours_fr, month_fr
from attendance.hours.classes import HOUR_CLASSES, LABELS_FR
from attendance.hours.compliance import compliance_view
from attendance.models import Pathway, PurchaseOrder
from attendance.tenancy import get_owned, org_select
from attendance.web.pages import login_required

bp = Blueprint("hours_pages", __name__, url_prefix="/heures")

STATUS_FR = {"ok": "Conforme", "warning": "À surveiller", "exceeded": "Dépassé"}


def _require_billing_view():
    if not can(g.user, "contract:read"):
        abort(403)


@bp.get("")
@login_required
def index():
    """Choose a BDC and a month."""
    _require_billing_view()
    orders = db.session.scalars(
        org_select(PurchaseOrder, g.org).order_by(PurchaseOrder.planned_start.desc())
    ).all()
    chosen = request.args.get("bdc", type=int)
    month = request.args.get("mois", "")
    if chosen and month:
        return redirect(url_for("hours_pages.compliance", purchase_order_id=chosen, month=month))
    return render_template(
        "hours/index.html", orders=orders, default_month=date.today().strftime("%Y-%m")
    )


@bp.get("/<int:purchase_order_id>/<month>")
@login_required
def compliance(purchase_order_id: int, month: str):
    """The compliance view of one BDC and month."""
    _require_billing_view()
    try:
        view = compliance_view(db.session, g.org, purchase_order_id, parse_month(month))
    except NotFound:
        abort(404)
    except DomainError as exc:
        return render_template(
            "hours/index.html", error=exc.message, orders=[], default_month=month
        ), exc.status
    return render_template(
        "hours/compliance.html",
        view=view,
        classes=HOUR_CLASSES,
        labels=LABELS_FR,
        hours=hours_fr,
        status_fr=STATUS_FR,
        month_fr=month_fr(view.month),
        to_align=pathways_to_align(db.session, g.org, purchase_order_id),
        can_write=can(g.user, "contract:write"),
    )


@bp.post("/<int:purchase_order_id>/<month>/parcours/<int:pathway_id>/aligner")
@login_required
def align_prescribed(purchase_order_id: int, month: str, pathway_id: int):
    """FAQ 55: bring a departed trainee's prescribed hours down to the realised ones, once
    the user has ticked the confirmation."""
    if not can(g.user, "contract:write"):
        abort(403)
    back = redirect(
        url_for("hours_pages.compliance", purchase_order_id=purchase_order_id, month=month)
    )
    if request.form.get("confirm") != "oui":
        flash("Cochez la case de confirmation pour modifier les heures prescrites.", "error")
        return back
    try:
        pathway = get_owned(db.session, Pathway, pathway_id, g.org, "parcours")
    except NotFound:
        abort(404)
    if pathway.composante.purchase_order_id != purchase_order_id:
        abort(404)
    try:
        align_prescribed_to_realised(db.session, g.org, pathway, g.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(
            f"Heures prescrites de {pathway.trainee.display_name} ramenées aux heures réalisées.",
            "success",
        )
    return back
