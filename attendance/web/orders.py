"""Purchase orders (BDC) and their composantes for billing staff and admins; auditors read.

Every write calls the contract operation the API calls; a refusal is shown next to the
field that caused it (``ORDER_FIELDS``, ``COMPOSANTE_FIELDS``) and nothing is saved (the
page rolls back, the request commits only on success)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from attendance.accounts import can
from attendance.clock import first_of_month, today
from attendance.contract.purchase_orders import (
    create_composante,
    create_purchase_order,
    delete_composante,
    delete_purchase_order,
    orders_with_counts,
    update_composante,
    update_purchase_order,
)
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import date_fr, hours_fr
from attendance.models import Composante, Dispositif, Pathway, PurchaseOrder, Slot
from attendance.tenancy import get_owned
from attendance.web.order_forms import (
    MODE_LABELS,
    UNIT_LABELS,
    ComposanteForm,
    PurchaseOrderForm,
    hours_input,
    price_fr,
    read_form,
)
from attendance.web.pages import login_required

bp = Blueprint("order_pages", __name__, url_prefix="/bdc")

# The form field a refusal concerns, by error code; "_form" is shown above the form.
ORDER_FIELDS = {
    "BDC_NUMBER_TAKEN": "number",
    "UNKNOWN_DISPOSITIF": "dispositif",
    "BDC_HAS_PATHWAYS": "dispositif",
    "MONTH_VALIDATED": "mode",  # R11: only a change of mode touches validated months
    "END_BEFORE_START": "planned_end",
}
COMPOSANTE_FIELDS = {"COMPOSANTE_CODE_TAKEN": "code"}
R10_FIELDS = {"centre": "contracted_centre_hours", "entreprise": "contracted_company_hours"}


def order_errors(error: DomainError) -> dict[str, str]:
    """A BDC refusal by field; R6 and R8 name in their details the date that moved."""
    return {error.details.get("field") or ORDER_FIELDS.get(error.code, "_form"): error.message}


def composante_errors(error: DomainError) -> dict[str, str]:
    """A composante refusal by field: R10 names its kind of hours."""
    if error.code == "R10_CONTRACTED_VOLUME_EXCEEDED":
        return {R10_FIELDS[error.details["hour_type"]]: error.message}
    return {COMPOSANTE_FIELDS.get(error.code, "_form"): error.message}


def _require(permission: str) -> None:
    if not can(g.user, permission):
        abort(403)


def _order(purchase_order_id: int) -> PurchaseOrder:
    _require("contract:read")
    try:
        return get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    except NotFound:
        abort(404)


def _composante(order: PurchaseOrder, composante_id: int) -> Composante:
    try:
        composante = get_owned(db.session, Composante, composante_id, g.org, "composante")
    except NotFound:
        abort(404)
    if composante.purchase_order_id != order.id:
        abort(404)
    return composante


def _render(template: str, status: int = 200, **context):
    return render_template(
        template,
        modes=MODE_LABELS,
        units=UNIT_LABELS,
        hours=hours_fr,
        hours_input=hours_input,
        price=price_fr,
        date_fr=date_fr,
        dispositifs=db.session.execute(
            select(Dispositif.code, Dispositif.name).order_by(Dispositif.name)
        ).all(),
        can_write=can(g.user, "contract:write"),
        documents_month=_documents_month,
        **context,
    ), status


def _documents_month(order: PurchaseOrder) -> str:
    """The month its documents link opens: this one, within the BDC's period."""
    month = min(first_of_month(today()), first_of_month(order.planned_end))
    return f"{max(month, first_of_month(order.planned_start)):%Y-%m}"


@bp.get("")
@login_required
def index():
    """Every BDC of the organisation with its composantes and pathways counted
    (``orders_with_counts``), and the links to its months, hours, documents and planning."""
    _require("contract:read")
    return _render("orders/index.html", orders=orders_with_counts(db.session, g.org))


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
def new():
    _require("contract:write")
    if request.method == "GET":
        return _render("orders/new.html", values={}, errors={})
    status = 422
    data, errors = read_form(PurchaseOrderForm(), request.form)
    if not errors:
        try:
            order = create_purchase_order(db.session, g.org, data)
        except DomainError as error:
            db.session.rollback()
            errors, status = order_errors(error), error.status
        else:
            flash(f"Bon de commande n° {order.number} créé : ajoutez ses composantes.", "success")
            return redirect(url_for("order_pages.detail", purchase_order_id=order.id))
    return _render("orders/new.html", status, values=request.form, errors=errors)


def _detail(order: PurchaseOrder, status: int = 200, **forms):
    """The BDC's form and its composantes with what hangs on each (pathways, slots)."""
    ids = [c.id for c in order.composantes]

    def counted(model) -> dict[int, int]:
        return dict(
            db.session.execute(
                select(model.composante_id, func.count())
                .where(model.composante_id.in_(ids))
                .group_by(model.composante_id)
            ).all()
        )

    context = {
        "values": {},
        "errors": {},
        "composante_values": {},
        "composante_errors": {},
        **forms,
    }
    return _render(
        "orders/detail.html",
        status,
        order=order,
        pathways=counted(Pathway),
        slots=counted(Slot),
        **context,
    )


@bp.route("/<int:purchase_order_id>", methods=["GET", "POST"])
@login_required
def detail(purchase_order_id: int):
    order = _order(purchase_order_id)
    if request.method == "GET":
        return _detail(order)
    _require("contract:write")
    status = 422
    data, errors = read_form(PurchaseOrderForm(), request.form)
    if not errors:
        try:
            update_purchase_order(db.session, g.org, order, data)
        except DomainError as error:
            db.session.rollback()
            errors, status = order_errors(error), error.status
        else:
            flash("Bon de commande enregistré.", "success")
            return redirect(url_for("order_pages.detail", purchase_order_id=order.id))
    order = _order(purchase_order_id)
    return _detail(order, status, values=request.form, errors=errors)


@bp.post("/<int:purchase_order_id>/supprimer")
@login_required
def delete(purchase_order_id: int):
    order = _order(purchase_order_id)
    _require("contract:write")
    number = order.number
    try:
        delete_purchase_order(db.session, g.org, order)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("order_pages.detail", purchase_order_id=purchase_order_id))
    flash(f"Bon de commande n° {number} supprimé.", "success")
    return redirect(url_for("order_pages.index"))


@bp.post("/<int:purchase_order_id>/composantes")
@login_required
def new_composante(purchase_order_id: int):
    order = _order(purchase_order_id)
    _require("contract:write")
    status = 422
    data, errors = read_form(ComposanteForm(), request.form)
    if not errors:
        try:
            composante = create_composante(
                db.session, g.org, {**data, "purchase_order_id": order.id}
            )
        except DomainError as error:
            db.session.rollback()
            errors, status = composante_errors(error), error.status
        else:
            flash(f"Composante « {composante.code} » ajoutée.", "success")
            return redirect(url_for("order_pages.detail", purchase_order_id=order.id))
    order = _order(purchase_order_id)
    return _detail(order, status, composante_values=request.form, composante_errors=errors)


@bp.route("/<int:purchase_order_id>/composantes/<int:composante_id>", methods=["GET", "POST"])
@login_required
def composante(purchase_order_id: int, composante_id: int):
    """One composante's form. Price and volumes changed here apply from the first month
    still open: a validated month keeps those frozen at its validation (R11)."""
    order = _order(purchase_order_id)
    item = _composante(order, composante_id)
    if request.method == "GET":
        return _render("orders/composante.html", order=order, composante=item, values={}, errors={})
    _require("contract:write")
    status = 422
    data, errors = read_form(ComposanteForm(), request.form)
    if not errors:
        try:
            update_composante(db.session, g.org, item, data)
        except DomainError as error:
            db.session.rollback()
            errors, status = composante_errors(error), error.status
        else:
            flash(f"Composante « {item.code} » enregistrée.", "success")
            return redirect(url_for("order_pages.detail", purchase_order_id=order.id))
    order = _order(purchase_order_id)
    item = _composante(order, composante_id)
    return _render(
        "orders/composante.html",
        status,
        order=order,
        composante=item,
        values=request.form,
        errors=errors,
    )


@bp.post("/<int:purchase_order_id>/composantes/<int:composante_id>/supprimer")
@login_required
def delete_composante_page(purchase_order_id: int, composante_id: int):
    order = _order(purchase_order_id)
    _require("contract:write")
    item = _composante(order, composante_id)
    code = item.code
    try:
        delete_composante(db.session, g.org, item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"Composante « {code} » supprimée.", "success")
    return redirect(url_for("order_pages.detail", purchase_order_id=purchase_order_id))
