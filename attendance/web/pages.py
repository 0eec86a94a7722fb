"""Login and the staff home page."""

from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from attendance import clock
from attendance.accounts import authenticate, can
from attendance.errors import Unauthorized
from attendance.extensions import db
from attendance.models import Composante, Pathway, PurchaseOrder, Slot, User
from attendance.security.ratelimit import TooManyRequests, login_guarded
from attendance.tenancy import org_select

bp = Blueprint("pages", __name__)


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = db.session.get(User, session.get("user_id") or 0)
        if user is None or not user.active:
            session.clear()
            return redirect(url_for("pages.login", next=request.full_path))
        g.user, g.org = user, user.organisation
        return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 401
    if request.method == "POST":
        email = request.form.get("email", "")
        try:
            user = login_guarded(
                lambda: authenticate(db.session, email, request.form.get("password", "")), email
            )
        except TooManyRequests as exc:
            error, status = exc.message, exc.status
        except Unauthorized as exc:
            error = exc.message
        else:
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            # Only same-site paths: an open redirect would turn the login into a phishing tool.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("pages.home")
            return redirect(target)
    return render_template("login.html", error=error), (status if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/")
@login_required
def home():
    orders = []
    if can(g.user, "contract:read"):
        order_rows = db.session.scalars(
            org_select(PurchaseOrder, g.org).order_by(PurchaseOrder.planned_start.desc())
        ).all()
        counts = dict(
            db.session.execute(
                select(Composante.purchase_order_id, func.count(Pathway.id))
                .join(Pathway, Pathway.composante_id == Composante.id)
                .where(Composante.organisation_id == g.org.id)
                .group_by(Composante.purchase_order_id)
            ).all()
        )
        orders = [(order, counts.get(order.id, 0)) for order in order_rows]
    today = clock.local_midnight_utc(clock.today())
    slots_query = (
        org_select(Slot, g.org).where(Slot.starts_at >= today).order_by(Slot.starts_at).limit(20)
    )
    if not can(g.user, "slot:read_all"):
        slots_query = slots_query.where(Slot.trainer_id == g.user.id)
    slots = db.session.scalars(slots_query).all()
    today_month = today.strftime("%Y-%m")
    return render_template("home.html", orders=orders, slots=slots, today_month=today_month)
