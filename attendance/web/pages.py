"""Login, logout, one's password, the staff home page and the site's icon."""

from functools import wraps

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from attendance import clock
from attendance.accounts import (
    authenticate,
    can,
    change_password,
    end_sessions,
    user_for_session,
    verify_password,
)
from attendance.contract.purchase_orders import orders_with_counts
from attendance.errors import DomainError, Unauthorized
from attendance.extensions import db
from attendance.french import days_ago_fr
from attendance.security.login import password_guarded
from attendance.security.ratelimit import TooManyRequests
from attendance.security.redirects import local_path
from attendance.signing.todo import todo

bp = Blueprint("pages", __name__)


def _start_session(user) -> None:
    session.clear()
    session["user_id"], session["session_version"] = user.id, user.session_version


def _session_user():
    """The signed-in user, or None when the cookie was ended on the server (logout,
    password change) or the account deactivated."""
    return user_for_session(db.session, session.get("user_id"), session.get("session_version"))


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = _session_user()
        if user is None:
            session.clear()
            return redirect(url_for("pages.login", next=request.full_path))
        g.user, g.org = user, user.organisation
        return view(*args, **kwargs)

    return wrapper


def _refused(template: str, error: DomainError, **context):
    response = render_template(template, error=error.message, **context), error.status
    if isinstance(error, TooManyRequests):
        return *response, {"Retry-After": str(error.details["retry_after_seconds"])}
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", error=None)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    try:
        user = password_guarded(lambda: authenticate(db.session, email, password), email)
    except (TooManyRequests, Unauthorized) as error:
        return _refused("login.html", error)
    _start_session(user)
    # An open redirect would turn the login into a phishing tool: local paths only.
    return redirect(local_path(request.args.get("next")) or url_for("pages.home"))


@bp.post("/logout")
def logout():
    """Ends every session of the user on the server, not only this cookie: a copy taken
    before (another browser, a stolen cookie) no longer opens a page."""
    user = _session_user()
    if user is not None:
        end_sessions(db.session, user)
    session.clear()
    return redirect(url_for("pages.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password():
    """One's own password: the current one is checked (within the login limits, so a
    borrowed session cannot guess it); every other session and API token ends, this one
    goes on."""
    if request.method == "GET":
        return render_template("password.html", error=None)
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        message = "Les deux nouveaux mots de passe ne sont pas identiques."
        error = DomainError("PASSWORDS_DIFFER", message, status=422)
        return _refused("password.html", error)
    current = request.form.get("current_password", "")
    try:
        password_guarded(lambda: verify_password(g.user, current), g.user.email)
        change_password(db.session, g.user, new)
    except DomainError as error:
        db.session.rollback()
        return _refused("password.html", error)
    _start_session(g.user)
    flash("Mot de passe changé : vos autres sessions et jetons d'accès sont fermés.", "success")
    return redirect(url_for("pages.home"))


@bp.get("/")
@login_required
def home():
    """A to-do list: today's slots, past slots still to validate, then what comes next;
    staff who read contracts also see the BDC table."""
    orders = orders_with_counts(db.session, g.org) if can(g.user, "contract:read") else []
    today = clock.today()
    mine = None if can(g.user, "slot:read_all") else g.user
    return render_template(
        "home.html",
        orders=orders,
        todo=todo(db.session, g.org, today, mine),
        mine=mine is not None,
        days_ago=days_ago_fr,
        today_month=f"{today:%Y-%m}",
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links (and bookmarks keep it)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)
