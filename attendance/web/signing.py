"""Sign-in pages: the trainee's phone (French, mobile-first), the kiosk tablet, personal
links, the tutor's page, and the trainer's projector QR and live roster.

Phones post signatures to the JSON API (``attendance.api.signins``); the trainer's forms
post here. Both call the same operations in ``attendance.signing``.
"""

from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from attendance.accounts import can
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.models import Emargement, Organisation, Slot, Trainee
from attendance.models.types import utcnow
from attendance.notify.reminders import reminders_for_slot
from attendance.security.ratelimit import TooManyRequests, rate_limited
from attendance.signing import absences, binding_requests, devices, kiosk, roster, window
from attendance.signing.common import (
    can_run_slot,
    expected_trainees,
    find_emargement,
    half_day,
)
from attendance.signing.qr import qr_svg
from attendance.signing.quotas import (
    invitation_attempt_keys,
    invitation_failure_keys,
    signin_attempt_keys,
    signin_failure_keys,
)
from attendance.signing.signins import (
    open_slot_code,
    open_slot_link,
    open_typed_code,
    qr_rotation_seconds,
    shown_slot_code,
    tutor_days,
)
from attendance.web.pages import login_required
from reports.certificates import certificate_for_trainee, today_local
from reports.period import Period

bp = Blueprint("signing", __name__)


def _cookie(response: Response, name: str, value: str, days: float) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(timedelta(days=days).total_seconds()),
        httponly=True,
        secure=current_app.config.get("SIGNING_COOKIE_SECURE", True),
        samesite="Lax",
        path="/",
    )


def _problem(error: DomainError):
    return render_template("signing/problem.html", error=error), error.status


@bp.get("/healthz")
def healthz():
    """Liveness probe (no database); also the baseline of ``benchmarks/signin.py``."""
    return Response("ok", mimetype="text/plain")


# --- Trainee's phone ---------------------------------------------------------------------


@bp.get("/e")
def phone_home():
    """Where a bound phone lands: the scan button, and who the phone belongs to."""
    trainee = None
    try:
        trainee = devices.device_from_credential(
            db.session, request.cookies.get(devices.DEVICE_COOKIE)
        ).trainee
    except DomainError:
        trainee = None
    return render_template("signing/phone_home.html", trainee=trainee)


@bp.get("/e/certificat.pdf")
def my_certificate():
    """The trainee downloads their own certificate of realisation from the bound phone
    (R13): from their first entry to the current month, or ``?de=AAAA-MM&a=AAAA-MM``."""
    try:
        trainee = devices.device_from_credential(
            db.session, request.cookies.get(devices.DEVICE_COOKIE)
        ).trainee
        period = Period.of_training(trainee.pathways, today_local())
        if request.args.get("de") or request.args.get("a"):
            period = Period.parse(
                request.args.get("de") or f"{period.first_month:%Y-%m}",
                request.args.get("a") or f"{period.last_month:%Y-%m}",
            )
        org = db.session.get(Organisation, trainee.organisation_id)
        pdf = certificate_for_trainee(db.session, org, trainee, period)
    except DomainError as error:
        return _problem(error)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificat_{period.slug}.pdf"'},
    )


def _public(attempts=None, failures=signin_failure_keys):
    """Rate limits on a public page, answered with the French problem page."""
    limited = rate_limited(attempts=attempts, failures=failures)

    def decorator(view):
        inner = limited(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return inner(*args, **kwargs)
            except TooManyRequests as error:
                return _problem(error)

        return wrapper

    return decorator


@bp.get("/e/<int:slot_id>")
@_public()
def sign_page(slot_id):
    """Opened from the slot's QR code (or the page's own ticket when coming back)."""
    try:
        slot, device, ticket = open_slot_code(
            db.session,
            request.args.get("t", ""),
            request.cookies.get(devices.DEVICE_COOKIE),
            slot_id,
        )
    except DomainError as error:
        db.session.rollback()
        return _problem(error)
    db.session.commit()
    existing = find_emargement(db.session, slot.id, device.trainee_id)
    return render_template(
        "signing/sign.html",
        slot=slot,
        trainee=device.trainee,
        ticket=ticket,
        existing=existing,
        half_day=half_day(slot),
    )


@bp.get("/q/<code>")
@_public()
def scanned_code(code):
    """The projected QR's short URL: checked, then the sign page with this phone's ticket
    (its URL is where the trainee comes back to after the code rotated)."""
    return _to_sign_page(
        lambda: open_slot_code(db.session, code, _device_cookie()),
        lambda: binding_requests.open_scanned(db.session, code),
    )


@bp.get("/q")
@_public(attempts=signin_attempt_keys)
def typed_code():
    """The short code typed on the phone's home page: the same sign page as scanning. Every
    try counts against this phone's attempts, every wrong code against its address."""
    typed = request.args.get("code", "")
    return _to_sign_page(
        lambda: open_typed_code(db.session, typed, _device_cookie()),
        lambda: binding_requests.open_typed(db.session, typed),
    )


def _device_cookie() -> str | None:
    return request.cookies.get(devices.DEVICE_COOKIE)


def _to_sign_page(open_code, open_unbound=None):
    """A bound phone goes to the sign page; a phone that is not bound, with a genuine code
    of an open slot, to the slot's « C'est moi » list (``open_unbound``)."""
    try:
        slot, _, ticket = open_code()
    except DomainError as error:
        db.session.rollback()
        if open_unbound is None or error.code not in binding_requests.UNBOUND_PHONE:
            return _problem(error)
        return _to_choose_page(open_unbound, error)
    db.session.commit()
    return redirect(url_for("signing.sign_page", slot_id=slot.id, t=ticket))


def _to_choose_page(open_unbound, unbound: DomainError):
    try:
        slot, qr_jti = open_unbound()
        ticket = binding_requests.picking_ticket(db.session, slot, qr_jti)
    except DomainError:
        db.session.rollback()
        return _problem(unbound)
    db.session.commit()
    return redirect(url_for("signing.choose_name", slot_id=slot.id, t=ticket))


@bp.route("/i/<token>", methods=["GET", "POST"])
@_public(attempts=invitation_attempt_keys, failures=invitation_failure_keys)
def invitation(token):
    """GET shows whose phone this becomes; POST binds it (link previews never bind)."""
    try:
        invite = devices.open_invitation(db.session, token)
        if request.method == "GET":
            return render_template("signing/invitation.html", trainee=invite.trainee, token=token)
        device, credential = devices.bind_device(
            db.session,
            token,
            request.headers.get("User-Agent"),
            request.cookies.get(devices.DEVICE_COOKIE),
        )
    except DomainError as error:
        db.session.rollback()
        return _problem(error)
    response = make_response(render_template("signing/bound.html", trainee=device.trainee))
    _cookie(
        response, devices.DEVICE_COOKIE, credential, current_app.config.get("DEVICE_TTL_DAYS", 400)
    )
    return response


@bp.get("/l/<token>")
@_public()
def link_page(token):
    """Personal link of a distance (FAD) or autoformation slot."""
    try:
        slot, trainee = open_slot_link(db.session, token)
    except DomainError as error:
        return _problem(error)
    existing = find_emargement(db.session, slot.id, trainee.id)
    return render_template(
        "signing/link.html",
        slot=slot,
        trainee=trainee,
        token=token,
        existing=existing,
        half_day=half_day(slot),
    )


@bp.get("/t/<token>")
@_public()
def tutor_page(token):
    """The company tutor confirms the trainee's days, one by one, with a signature."""
    try:
        invite, days = tutor_days(db.session, token)
    except DomainError as error:
        return _problem(error)
    return render_template("signing/tutor.html", invite=invite, days=days, token=token)


# --- A first-time phone in the room ------------------------------------------------------


@bp.get("/e/<int:slot_id>/c-est-moi")
@_public()
def choose_name(slot_id):
    """The slot's list of names on a phone that is not bound: « C'est moi », or the kiosk."""
    ticket = request.args.get("t", "")
    try:
        slot, _ = binding_requests.open_ticket(db.session, ticket)
        if slot.id != slot_id:
            raise NotFound("séance")
    except DomainError as error:
        return _problem(error)
    return render_template(
        "signing/choose.html",
        slot=slot,
        ticket=ticket,
        choices=binding_requests.choices(db.session, slot),
        half_day=half_day(slot),
    )


@bp.post("/e/<int:slot_id>/c-est-moi")
@_public(attempts=signin_attempt_keys)
def ask_binding(slot_id):
    """« C'est moi »: a pending request for this phone, then the waiting page."""
    try:
        request_row, secret = binding_requests.request_binding(
            db.session,
            request.form.get("t", ""),
            request.form.get("trainee_id", type=int) or 0,
            request.cookies.get(binding_requests.BINDING_COOKIE),
            _device_cookie(),
            request.headers.get("User-Agent"),
        )
    except DomainError as error:
        db.session.rollback()
        return _problem(error)
    if request_row.slot_id != slot_id:
        db.session.rollback()
        return _problem(NotFound("séance"))
    db.session.commit()
    response = redirect(url_for("signing.binding_wait"))
    _cookie(response, binding_requests.BINDING_COOKIE, secret, 1)
    return response


def _binding_secret() -> str | None:
    return request.cookies.get(binding_requests.BINDING_COOKIE)


@bp.get("/e/demande")
@_public()
def binding_wait():
    """Waiting for the trainer; once approved, this phone is bound (its device cookie set)
    and goes on to the sign page."""
    try:
        waiting = binding_requests.waiting(db.session, _binding_secret())
        claimed = binding_requests.claim(db.session, waiting)
    except DomainError as error:
        return _problem(error)
    if claimed is None:
        return render_template(
            "signing/waiting.html", waiting=waiting, slot=db.session.get(Slot, waiting.slot_id)
        )
    db.session.commit()
    target = (
        url_for("signing.sign_page", slot_id=claimed.slot_id, t=claimed.signin_ticket)
        if claimed.signin_ticket
        else url_for("signing.phone_home")
    )
    response = redirect(target)
    _cookie(
        response,
        devices.DEVICE_COOKIE,
        claimed.credential,
        current_app.config.get("DEVICE_TTL_DAYS", 400),
    )
    response.delete_cookie(binding_requests.BINDING_COOKIE, path="/")
    return response


@bp.get("/e/demande.json")
@_public()
def binding_status():
    """What the waiting page polls: the request's status, nothing else."""
    waiting = binding_requests.find_by_secret(db.session, _binding_secret())
    response = jsonify({"status": waiting.status if waiting else "unknown"})
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Kiosk tablet ------------------------------------------------------------------------


@bp.get("/k")
def kiosk_page():
    try:
        slot = kiosk.kiosk_slot(db.session, request.cookies.get(kiosk.KIOSK_COOKIE))
    except DomainError as error:
        return _problem(error)
    signed = {e.trainee_id for e in db.session.query(Emargement).filter_by(slot_id=slot.id)}
    return render_template(
        "signing/kiosk.html",
        slot=slot,
        half_day=half_day(slot),
        trainees=expected_trainees(db.session, slot),
        signed=signed,
    )


# --- Trainer -----------------------------------------------------------------------------


def _slot(slot_id: int, run: bool = False) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.organisation_id != g.org.id:
        abort(404)
    if not (can_run_slot(g.user, slot) or (not run and can(g.user, "slot:read_all"))):
        abort(404)
    return slot


def _roster_context(slot: Slot) -> dict:
    """What the roster page and its polled rows both show."""
    return {
        "slot": slot,
        "lines": roster.roster(db.session, slot),
        "labels": roster.SIGNAL_LABELS,
        "can_run": can_run_slot(g.user, slot),
        "reminders": reminders_for_slot(db.session, slot.id),
    }


@bp.get("/seances/<int:slot_id>")
@login_required
def roster_page(slot_id):
    slot = _slot(slot_id)
    return render_template(
        "signing/roster.html",
        **_roster_context(slot),
        binding_requests=binding_requests.pending_for_slot(db.session, slot),
        revisions=roster.revisions(db.session, slot),
        change_lines=roster.change_lines,
        half_day=half_day(slot),
        can_justify=absences.can_justify(g.user, slot),
        justifications_closed=absences.closed(db.session, slot),
        reasons=absences.REASONS,
        justification_labels=absences.JUSTIFICATION_LABELS,
    )


@bp.get("/seances/<int:slot_id>/lignes")
@login_required
def roster_rows(slot_id):
    """The roster's table body, polled by the page every few seconds."""
    return render_template("signing/_roster_rows.html", **_roster_context(_slot(slot_id)))


@bp.get("/seances/<int:slot_id>/qr")
@login_required
def qr_page(slot_id):
    """The projector page; before the sign-in window it says when the code will show (and
    keeps asking), after it that the code is gone."""
    slot = _slot(slot_id, run=True)
    return render_template(
        "signing/qr.html",
        slot=slot,
        half_day=half_day(slot),
        rotation=qr_rotation_seconds(),
        notice=window.refused_at(slot, utcnow(), window.qr_outside_window),
    )


@bp.get("/seances/<int:slot_id>/qr.json")
@login_required
def qr_json(slot_id):
    """The code to project now, its short code, and when to ask again (the rotation's end,
    counted by the server's clock so a drifting projector still changes on time)."""
    slot = _slot(slot_id, run=True)
    now = utcnow()
    try:
        shown = shown_slot_code(db.session, slot, now)
    except DomainError as error:  # outside the window: the page shows the message
        response = jsonify(error.to_dict())
        response.headers["Cache-Control"] = "no-store"
        return response, error.status
    db.session.commit()
    url = url_for("signing.scanned_code", code=shown.code, _external=True)
    signed = db.session.query(Emargement).filter_by(slot_id=slot.id, status="present").count()
    response = jsonify(
        {
            "url": url,
            "svg": qr_svg(url),
            "short_code": shown.short,
            "expires_at": shown.expires_at.isoformat(),
            "changes_in_ms": int((shown.changes_at - now).total_seconds() * 1000),
            "rotation_seconds": qr_rotation_seconds(),
            "signed": signed,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/seances/<int:slot_id>/signatures/<int:emargement_id>.png")
@login_required
def signature_png(slot_id, emargement_id):
    slot = _slot(slot_id)
    emargement = db.session.get(Emargement, emargement_id)
    if emargement is None or emargement.slot_id != slot.id or not emargement.signature_png:
        abort(404)
    return Response(
        emargement.signature_png,
        mimetype="image/png",
        headers={"Cache-Control": "private, max-age=3600"},
    )


@bp.get("/seances/<int:slot_id>/signature-formateur.png")
@login_required
def trainer_signature_png(slot_id):
    slot = _slot(slot_id)
    if not slot.trainer_signature_png:
        abort(404)
    return Response(slot.trainer_signature_png, mimetype="image/png")


def _form_int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _trainee_from_form() -> Trainee:
    trainee = db.session.get(Trainee, _form_int("trainee_id") or 0)
    if trainee is None or trainee.organisation_id != g.org.id:
        abort(404)
    return trainee


def _changes_from_form() -> dict:
    changes = {
        "status": request.form.get("status") or None,
        "late_minutes": _form_int("late_minutes"),
        "early_leave_minutes": _form_int("early_leave_minutes"),
        "absence_reason": request.form.get("absence_reason", "").strip() or None,
    }
    if "confirmed" in request.form:
        changes["confirmed"] = request.form["confirmed"] == "1"
    return changes


def _back(slot_id: int, message: str, category: str = "ok"):
    flash(message, category)
    return redirect(url_for("signing.roster_page", slot_id=slot_id))


@bp.post("/seances/<int:slot_id>/marquer")
@login_required
def mark_line(slot_id):
    slot = _slot(slot_id, run=True)
    try:
        roster.mark(db.session, slot, _trainee_from_form(), g.user, _changes_from_form())
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, "Feuille de présence mise à jour.")


@bp.post("/seances/<int:slot_id>/valider")
@login_required
def validate(slot_id):
    slot = _slot(slot_id, run=True)
    try:
        roster.validate_slot(db.session, slot, g.user, request.form.get("signature"))
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, "Séance validée et verrouillée.")


@bp.post("/seances/<int:slot_id>/corriger")
@login_required
def correct(slot_id):
    slot = _slot(slot_id, run=True)
    try:
        roster.correct(
            db.session,
            slot,
            _trainee_from_form(),
            g.user,
            _changes_from_form(),
            request.form.get("reason"),
        )
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, "Correction enregistrée avec son motif.")


@bp.post("/seances/<int:slot_id>/borne")
@login_required
def start_kiosk(slot_id):
    """Turn this browser (the shared tablet) into the slot's kiosk."""
    slot = _slot(slot_id, run=True)
    try:
        token = kiosk.start_kiosk(db.session, slot)
    except DomainError as error:
        return _back(slot_id, error.message, "error")
    db.session.commit()
    response = redirect(url_for("signing.kiosk_page"))
    _cookie(response, kiosk.KIOSK_COOKIE, token, 1)
    return response


@bp.get("/seances/<int:slot_id>/demandes")
@login_required
def binding_rows(slot_id):
    """The phones waiting for approval, polled by the roster page."""
    slot = _slot(slot_id)
    return render_template(
        "signing/_binding_requests.html",
        slot=slot,
        can_run=can_run_slot(g.user, slot),
        binding_requests=binding_requests.pending_for_slot(db.session, slot),
    )


@bp.post("/seances/<int:slot_id>/demandes/<int:binding_request_id>/approuver")
@login_required
def approve_binding(slot_id, binding_request_id):
    """One tap: the trainee in front of the trainer is who the phone says."""
    slot = _slot(slot_id, run=True)
    try:
        approved = binding_requests.approve(db.session, slot, binding_request_id, g.user)
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, f"Téléphone de {approved.trainee.display_name} enregistré.")


@bp.post("/seances/<int:slot_id>/demandes/<int:binding_request_id>/refuser")
@login_required
def refuse_binding(slot_id, binding_request_id):
    slot = _slot(slot_id, run=True)
    try:
        refused = binding_requests.refuse(db.session, slot, binding_request_id, g.user)
    except DomainError as error:
        db.session.rollback()
        return _back(slot_id, error.message, "error")
    return _back(slot_id, f"Demande refusée : {refused.trainee.display_name} signera sur la borne.")
