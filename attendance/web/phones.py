"""Phones and kiosks, for billing staff and admins: a trainee's bound phone, invitations sent
by e-mail or printed, unbinding a lost phone, the kiosk PIN and QR card. Each action calls
the same operation as the API (``attendance.api.devices``), on a trainee of the user's own
organisation."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from attendance.accounts import can
from attendance.errors import DomainError
from attendance.extensions import db
from attendance.models import PurchaseOrder, Trainee
from attendance.notify.channels import email_channel
from attendance.notify.invitations import email_invitation, email_missing_invitations
from attendance.signing import devices, kiosk
from attendance.signing.qr import qr_svg
from attendance.tenancy import get_owned, org_select
from attendance.web.pages import login_required

bp = Blueprint("phone_pages", __name__)


def _trainee(trainee_id: int, write: bool = False) -> Trainee:
    """The trainee of the user's organisation (another's is « introuvable »), readable by
    anyone who reads trainees; the actions need ``trainee:write``."""
    if not can(g.user, "trainee:write" if write else "trainee:read"):
        abort(403)
    return get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")


def _invitation_url(token: str) -> str:
    return url_for("signing.invitation", token=token, _external=True)


def _back(trainee_id: int, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("phone_pages.trainee_phone", trainee_id=trainee_id))


@bp.get("/stagiaires/<int:trainee_id>/telephone")
@login_required
def trainee_phone(trainee_id: int):
    trainee = _trainee(trainee_id)
    return render_template(
        "phones/trainee.html",
        trainee=trainee,
        state=devices.phone_state(db.session, g.org, trainee),
        can_write=can(g.user, "trainee:write"),
        pin_lengths=(kiosk.PIN_MIN_LENGTH, kiosk.PIN_MAX_LENGTH),
    )


@bp.post("/stagiaires/<int:trainee_id>/telephone/invitation")
@login_required
def send_invitation(trainee_id: int):
    """The invitation by e-mail, to the address on the trainee's record."""
    trainee = _trainee(trainee_id, write=True)
    channel = email_channel(current_app.config)
    try:
        email_invitation(db.session, g.org, trainee, g.user, channel, _invitation_url)
    except DomainError as error:
        db.session.rollback()
        return _back(trainee_id, error.message, "error")
    return _back(trainee_id, f"Invitation envoyée par e-mail à {trainee.email}.")


@bp.post("/stagiaires/<int:trainee_id>/telephone/invitation-imprimee")
@login_required
def print_invitation(trainee_id: int):
    """A new invitation as an A4 sheet with its QR code, to hand over or post. Rendered by
    the POST itself: the link is shown once and never stored."""
    trainee = _trainee(trainee_id, write=True)
    invitation, token = devices.create_invitation(db.session, g.org, trainee, g.user)
    url = _invitation_url(token)
    return render_template(
        "phones/invitation_sheet.html",
        trainee=trainee,
        url=url,
        svg=qr_svg(url),
        invitation=invitation,
    )


@bp.post("/stagiaires/<int:trainee_id>/telephone/invitations/<int:invitation_id>/annuler")
@login_required
def cancel_invitation(trainee_id: int, invitation_id: int):
    trainee = _trainee(trainee_id, write=True)
    if not devices.revoke_invitation(db.session, g.org, trainee, invitation_id):
        return _back(trainee_id, "Cette invitation n'est plus en attente.", "error")
    return _back(trainee_id, "Invitation annulée : son lien ne fonctionne plus.")


@bp.post("/stagiaires/<int:trainee_id>/telephone/retirer")
@login_required
def revoke_phone(trainee_id: int):
    """A lost or replaced phone stops signing at once; the trainee needs a new invitation."""
    trainee = _trainee(trainee_id, write=True)
    if not devices.revoke_devices(db.session, g.org, trainee, g.user):
        return _back(trainee_id, "Aucun téléphone n'était enregistré.", "error")
    return _back(
        trainee_id,
        "Téléphone retiré : il ne peut plus signer. Envoyez une nouvelle invitation.",
    )


@bp.post("/stagiaires/<int:trainee_id>/telephone/code-pin")
@login_required
def set_pin(trainee_id: int):
    trainee = _trainee(trainee_id, write=True)
    try:
        kiosk.set_pin(db.session, g.org, trainee, request.form.get("pin", "").strip())
    except DomainError as error:
        db.session.rollback()
        return _back(trainee_id, error.message, "error")
    return _back(trainee_id, "Code PIN de la borne enregistré. Communiquez-le au stagiaire.")


@bp.post("/stagiaires/<int:trainee_id>/telephone/carte-borne")
@login_required
def issue_card(trainee_id: int):
    """A personal QR card for the kiosk, printed on the spot; the previous card stops
    working."""
    trainee = _trainee(trainee_id, write=True)
    token = kiosk.issue_card(db.session, g.org, trainee)
    return render_template(
        "phones/kiosk_card.html", trainee=trainee, svg=qr_svg(token), days=kiosk.CARD_DAYS
    )


@bp.get("/telephones")
@login_required
def overview():
    """Before a first session: which trainees of a BDC can sign with a phone, and who is
    still waiting for an invitation or has none."""
    if not can(g.user, "contract:read"):
        abort(403)
    orders = db.session.scalars(
        org_select(PurchaseOrder, g.org).order_by(PurchaseOrder.planned_start.desc())
    ).all()
    chosen = request.args.get("bdc", type=int) or (orders[0].id if orders else None)
    order = (
        get_owned(db.session, PurchaseOrder, chosen, g.org, "bon de commande") if chosen else None
    )
    lines = devices.phone_overview(db.session, g.org, order.id) if order else []
    return render_template(
        "phones/overview.html",
        orders=orders,
        order=order,
        lines=lines,
        unbound=sum(1 for line in lines if line.bound_at is None),
        can_write=can(g.user, "trainee:write"),
    )


@bp.post("/telephones/invitations")
@login_required
def invite_missing():
    """One click before a first session: every trainee of the BDC without a phone or a
    waiting invitation gets one by e-mail."""
    if not can(g.user, "trainee:write"):
        abort(403)
    order = get_owned(
        db.session, PurchaseOrder, request.form.get("bdc", type=int) or 0, g.org, "bon de commande"
    )
    channel = email_channel(current_app.config)
    run = email_missing_invitations(db.session, g.org, order.id, g.user, channel, _invitation_url)
    if run.sent:
        flash(f"{len(run.sent)} invitation(s) envoyée(s) par e-mail.", "success")
    if run.failed:
        flash(
            f"L'e-mail n'a pas pu partir pour : {', '.join(run.failed)}. Réessayez plus tard.",
            "error",
        )
    if run.without_email:
        flash(
            f"Sans adresse e-mail (invitation à imprimer) : {', '.join(run.without_email)}.",
            "error",
        )
    if not (run.sent or run.failed or run.without_email):
        flash("Chaque stagiaire a déjà un téléphone ou une invitation en attente.", "success")
    return redirect(url_for("phone_pages.overview", bdc=order.id))
