"""Pages for billing staff: a BDC's months, their state, what blocks validation, and the
one-click actions (synchronise, download, validate, reopen)."""

import io
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for

from attendance.accounts import can
from attendance.clock import first_of_month, next_month, parse_month, today
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import hours_fr as hours
from attendance.hours.caps import cap_checks
from attendance.hours.limits import EXCEEDED
from attendance.models import MonthPeriod, PurchaseOrder
from attendance.months import operations, states
from attendance.months.declaration import blockers
from attendance.months.lock import month_label
from attendance.tenancy import get_owned
from attendance.web.pages import login_required
from reports.declaration_xlsx import declaration_xlsx

bp = Blueprint("month_pages", __name__, url_prefix="/mois")
STATE_CLASS = {"draft": "state-draft", "synchronised": "state-sync", "validated": "state-ok"}


def _order(purchase_order_id: int) -> PurchaseOrder:
    if not can(g.user, "contract:read"):
        abort(403)
    try:
        return get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    except NotFound:
        abort(404)


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except DomainError:
        abort(404)


@bp.get("/<int:purchase_order_id>")
@login_required
def index(purchase_order_id: int):
    """Every month of the BDC from its start to the current one, with its state."""
    order = _order(purchase_order_id)
    stored = {
        p.month: p
        for p in db.session.scalars(
            db.select(MonthPeriod).where(MonthPeriod.purchase_order_id == order.id)
        )
    }
    last = min(first_of_month(order.planned_end), first_of_month(today()))
    months, month = [], first_of_month(order.planned_start)
    while month <= last or month in stored:
        period = stored.get(month)
        months.append((month, period.state if period else "draft", period))
        month = next_month(month)
    return render_template(
        "months/index.html",
        order=order,
        months=months,
        labels=states.STATE_LABELS,
        css=STATE_CLASS,
        month_label=month_label,
    )


@bp.get("/<int:purchase_order_id>/<month>")
@login_required
def detail(purchase_order_id: int, month: str):
    order = _order(purchase_order_id)
    chosen = _month(month)
    period = states.get_period(db.session, g.org, order.id, chosen, create=False)
    latest = states.latest_declaration(db.session, period) if period else None
    return render_template(
        "months/detail.html",
        order=order,
        month=chosen,
        month_text=f"{chosen:%Y-%m}",
        period=period,
        state=period.state if period else "draft",
        latest=latest,
        blockers=blockers(db.session, g.org, order, chosen),
        excess=[
            check
            for check in cap_checks(db.session, g.org, order.id, chosen)
            if check.status == EXCEEDED
        ],
        labels=states.STATE_LABELS,
        css=STATE_CLASS,
        month_label=month_label,
        hours=hours,
        can_write=can(g.user, "contract:write"),
        is_admin=g.user.role == "admin",
    )


def _act(purchase_order_id: int, month: str, action, success: str):
    order = _order(purchase_order_id)
    if not can(g.user, "contract:write"):
        abort(403)
    try:
        action(order, _month(month))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        for item in error.details.get("blockers", [])[:20]:
            flash(item["message"], "error")
    else:
        flash(success, "success")
    return redirect(url_for("month_pages.detail", purchase_order_id=purchase_order_id, month=month))


@bp.post("/<int:purchase_order_id>/<month>/synchroniser")
@login_required
def synchronise(purchase_order_id: int, month: str):
    return _act(
        purchase_order_id,
        month,
        lambda order, m: operations.synchronise(db.session, g.org, order.id, m, g.user),
        "Mois synchronisé : nouvelle version enregistrée.",
    )


@bp.post("/<int:purchase_order_id>/<month>/valider")
@login_required
def validate(purchase_order_id: int, month: str):
    return _act(
        purchase_order_id,
        month,
        lambda order, m: operations.validate(db.session, g.org, order.id, m, g.user),
        "Mois validé : il est maintenant verrouillé.",
    )


@bp.post("/<int:purchase_order_id>/<month>/rouvrir")
@login_required
def reopen(purchase_order_id: int, month: str):
    reason = request.form.get("reason", "")
    return _act(
        purchase_order_id,
        month,
        lambda order, m: operations.reopen(db.session, g.org, order.id, m, g.user, reason),
        "Mois rouvert.",
    )


@bp.get("/<int:purchase_order_id>/<month>/declaration.xlsx")
@login_required
def download(purchase_order_id: int, month: str):
    order = _order(purchase_order_id)
    try:
        declaration = operations.declaration_for(db.session, g.org, order.id, _month(month))
    except DomainError as error:
        flash(error.message, "error")
        return redirect(
            url_for("month_pages.detail", purchase_order_id=purchase_order_id, month=month)
        )
    name = f"declaration_{order.number}_{month}_v{declaration.version}.xlsx"
    return send_file(
        io.BytesIO(declaration_xlsx(declaration)), as_attachment=True, download_name=name
    )
