"""The organisation's settings and its staff accounts (administrators), and the page where
an invited person chooses their password."""

import smtplib
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from attendance import accounts, organisations
from attendance.errors import DomainError, Forbidden
from attendance.extensions import db
from attendance.models import ROLES, User
from attendance.notify.activation import ROLE_LABELS, activation_message
from attendance.notify.channels import email_channel
from attendance.tenancy import get_owned
from attendance.web.pages import login_required

bp = Blueprint("settings_pages", __name__)


def admin_required(view):
    """Signed in, and allowed to manage the organisation and its staff (administrators)."""

    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not (accounts.can(g.user, "user:manage") and accounts.can(g.user, "organisation:write")):
            raise Forbidden("Réservé aux administrateurs de l'organisme.")
        return view(*args, **kwargs)

    return wrapper


def _settings_page(errors=None, values=None, status=200):
    return (
        render_template(
            "settings/organisation.html",
            org=g.org,
            errors=errors or {},
            values=values,
            fields=organisations.TEXT_FIELDS,
            numbers=organisations.NUMBER_FIELDS,
        ),
        status,
    )


@bp.route("/parametres", methods=["GET", "POST"])
@admin_required
def organisation():
    if request.method == "GET":
        return _settings_page()
    values = {k: request.form.get(k, "") for k in (*organisations.TEXT_FIELDS, "siret")}
    values |= {k: request.form.get(k, "") for k in organisations.NUMBER_FIELDS}
    values["vat_exempt"] = request.form.get("vat_exempt") == "1"
    values["vat_rate"] = request.form.get("vat_rate", "")
    images = {
        kind: upload.read()
        for kind in organisations.IMAGES
        if (upload := request.files.get(kind)) and upload.filename
    }
    try:
        organisations.update_settings(db.session, g.org, values, images)
    except organisations.SettingsRefused as refused:
        db.session.rollback()
        return _settings_page(refused.details["fields"], request.form, 422)
    flash("Paramètres de l'organisme enregistrés.", "success")
    return redirect(url_for("settings_pages.organisation"))


@bp.get("/parametres/images/<kind>.png")
@admin_required
def image(kind):
    """The preview of the stored stamp or signature (the PNG the documents embed)."""
    content = getattr(g.org, organisations.IMAGES.get(kind, "-"), None)
    if not content:
        abort(404)
    return Response(content, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/parametres/images/<kind>/retirer")
@admin_required
def remove_image(kind):
    if kind not in organisations.IMAGES:
        abort(404)
    organisations.remove_image(db.session, g.org, kind)
    flash(f"{organisations.IMAGE_LABELS[kind]} retiré(e) des documents.", "success")
    return redirect(url_for("settings_pages.organisation"))


def _send_activation(user: User, reset: bool = False) -> None:
    """Commit first (the link must find the account), then send; when the relay refuses,
    the administrator gets the link to pass on another way."""
    link = url_for(
        "settings_pages.activate",
        token=accounts.activation_token(user, current_app.config["SECRET_KEY"]),
        _external=True,
    )
    db.session.commit()
    try:
        email_channel(current_app.config).send(activation_message(user, link, reset))
    except (OSError, smtplib.SMTPException):
        current_app.logger.warning("activation e-mail to user %s not sent", user.id)
        flash(
            f"L'e-mail n'a pas pu partir : transmettez ce lien à {user.full_name} : {link}",
            "error",
        )
        return
    flash(f"Un lien pour choisir son mot de passe a été envoyé à {user.email}.", "success")


def _accounts_page(errors=None, values=None, status=200):
    users = db.session.scalars(
        select(User).where(User.organisation_id == g.org.id).order_by(User.full_name)
    ).all()
    return (
        render_template(
            "settings/accounts.html",
            users=users,
            roles=ROLES,
            role_labels=ROLE_LABELS,
            awaits_activation=accounts.awaits_activation,
            errors=errors or {},
            values=values or {},
        ),
        status,
    )


@bp.route("/parametres/comptes", methods=["GET", "POST"], endpoint="accounts")
@admin_required
def accounts_page():
    """The staff list, and the invitation by e-mail with a role."""
    if request.method == "GET":
        return _accounts_page()
    form = {k: request.form.get(k, "") for k in ("email", "full_name", "role")}
    try:
        user = accounts.create_user(db.session, g.org, **form, password=None)
    except DomainError as error:
        db.session.rollback()
        field = error.details.get("field", "role" if error.code == "INVALID_ROLE" else "email")
        return _accounts_page({field: error.message}, form, 422)
    _send_activation(user)
    return redirect(url_for("settings_pages.accounts"))


def _staff(user_id: int) -> User:
    return get_owned(db.session, User, user_id, g.org, "compte")


@bp.post("/parametres/comptes/<int:user_id>/desactiver")
@admin_required
def deactivate(user_id):
    user = _staff(user_id)
    accounts.deactivate_user(db.session, g.user, user)
    flash(f"Compte de {user.full_name} désactivé : ses sessions et jetons sont fermés.", "success")
    return redirect(url_for("settings_pages.accounts"))


@bp.post("/parametres/comptes/<int:user_id>/reactiver")
@admin_required
def reactivate(user_id):
    user = _staff(user_id)
    accounts.reactivate_user(db.session, user)
    flash(f"Compte de {user.full_name} réactivé.", "success")
    return redirect(url_for("settings_pages.accounts"))


@bp.post("/parametres/comptes/<int:user_id>/reinitialiser")
@admin_required
def reset(user_id):
    user = _staff(user_id)
    if user.id == g.user.id:
        raise Forbidden("Changez votre propre mot de passe depuis « Mot de passe ».")
    accounts.reset_password(db.session, user)
    _send_activation(user, reset=True)
    return redirect(url_for("settings_pages.accounts"))


@bp.route("/compte/activer/<token>", methods=["GET", "POST"])
def activate(token):
    """The invited person chooses their password; the link works once."""
    secret = current_app.config["SECRET_KEY"]
    user = accounts.user_for_activation(db.session, token, secret)
    if request.method == "GET":
        return render_template("settings/activate.html", user=user, error=None)
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        error = "Les deux mots de passe ne sont pas identiques."
        return render_template("settings/activate.html", user=user, error=error), 422
    try:
        accounts.activate(db.session, token, secret, new)
    except DomainError as error:
        db.session.rollback()
        return render_template("settings/activate.html", user=user, error=error.message), 422
    flash("Mot de passe enregistré : connectez-vous.", "success")
    return redirect(url_for("pages.login"))
