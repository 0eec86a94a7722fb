"""Pages for billing staff: the hours and compliance of a BDC's month (French)."""

from datetime import date

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from attendance.accounts import can
from attendance.clock import parse_month
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import hours_fr, month_fr
from attendance.hours.classes import HOUR_CLASSES, LABELS_FR
from attendance.hours.compliance import compliance_view
from attendance.models import PurchaseOrder
from attendance.tenancy import org_select
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
        ), 400
    return render_template(
        "hours/compliance.html",
        view=view,
        classes=HOUR_CLASSES,
        labels=LABELS_FR,
        hours=hours_fr,
        status_fr=STATUS_FR,
        month_fr=month_fr(view.month),
    )
