"""The planning: a week of slots (per BDC, group, trainer or room), slots, series and copies
of a week, the sites and rooms, and each trainer's calendar feed (iCalendar).

Every write goes through ``contract.planning`` (the same checks as the API): refusals and
warnings come back to the form, in French, with nothing saved.
"""

from datetime import date, time, timedelta

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

from attendance.accounts import calendar_token, can, user_for_calendar_token
from attendance.clock import at_local, local_midnight_utc, local_time, today
from attendance.contract import planning, sites
from attendance.contract.slots import delete_slot, update_slot
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.models import SLOT_KINDS, Composante, PurchaseOrder, Room, Site, Slot, User
from attendance.tenancy import get_owned, org_select
from attendance.web.pages import _session_user, login_required
from reports.planning_ics import KIND_FR, trainer_calendar

bp = Blueprint("planning_pages", __name__, url_prefix="/planning")
FILTERS = {"bdc": "purchase_order_id", "groupe": "group_name", "formateur": "trainer_id",
           "salle": "room_id"}  # fmt: skip
ICAL_DAYS_BACK = 90


def _require_write() -> None:
    if not can(g.user, "slot:write"):
        abort(403)


def _filters() -> dict:
    """The view's filters from the query string; a trainer sees only their own slots."""
    chosen = {}
    for param, key in FILTERS.items():
        value = request.args.get(param, "").strip()
        if value:
            chosen[key] = value if key == "group_name" else _int(value, param)
    if not can(g.user, "slot:read_all"):
        chosen["trainer_id"] = g.user.id
    return chosen


def _int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise DomainError(
            "INVALID_FORM_FIELD", f"Valeur invalide pour {field}.", status=422
        ) from exc


def _filter_choices() -> dict:
    """What the week view's filters offer: BDCs, groups, trainers, rooms, as plain rows
    (id and label; the view builds no ORM object for a drop-down)."""
    return {
        "orders": db.session.execute(
            org_select(PurchaseOrder, g.org)
            .with_only_columns(PurchaseOrder.id, PurchaseOrder.number)
            .order_by(PurchaseOrder.number)
        ).all(),
        "groups": db.session.scalars(
            org_select(Slot, g.org)
            .with_only_columns(Slot.group_name)
            .distinct()
            .where(Slot.group_name.is_not(None))
            .order_by(Slot.group_name)
        ).all(),
        "trainers": db.session.execute(
            org_select(User, g.org)
            .with_only_columns(User.id, User.full_name)
            .where(User.role.in_(("trainer", "admin")), User.active)
            .order_by(User.full_name)
        ).all(),
        "rooms": db.session.execute(
            org_select(Room, g.org)
            .with_only_columns(
                Room.id, (Site.name + " — " + Room.name).label("label"), Room.capacity
            )
            .join(Site, Site.id == Room.site_id)
            .order_by(Site.name, Room.name)
        ).all(),
    }


def _choices() -> dict:
    """What the slot forms offer: the filters' lists, composantes and slot kinds."""
    return {
        **_filter_choices(),
        "composantes": db.session.scalars(
            org_select(Composante, g.org).order_by(Composante.code)
        ).all(),
        "kinds": [(kind, KIND_FR[kind]) for kind in SLOT_KINDS],
    }


@bp.get("")
@login_required
def week():
    if not can(g.user, "slot:read"):
        abort(403)
    monday = planning.parse_week(request.args.get("semaine"), today())
    filters = _filters()
    cards = planning.week_cards(db.session, g.org, monday, filters)
    params = {k: v for k, v in request.args.items() if k in FILTERS and v}
    trainer_id = filters.get("trainer_id")
    feed = None
    if trainer_id and (trainer_id == g.user.id or can(g.user, "slot:read_all")):
        trainer = get_owned(db.session, User, trainer_id, g.org, "formateur")
        feed = _feed_url(trainer)
    return render_template(
        "planning/week.html",
        monday=monday,
        days=[monday + timedelta(days=n) for n in range(7)],
        week=planning.week_text(monday),
        previous=planning.week_text(monday - timedelta(days=7)),
        following=planning.week_text(monday + timedelta(days=7)),
        grid=planning.week_grid(cards),
        count=len(cards),
        periods=planning.PERIODS,
        weekdays=planning.WEEKDAYS_FR,
        holiday_name=planning.holiday_name,
        params=params,
        feed=feed,
        can_write=can(g.user, "slot:write"),
        read_all=can(g.user, "slot:read_all"),
        **_filter_choices(),
    )


def _feed_url(trainer: User) -> str:
    token = calendar_token(trainer, current_app.secret_key)
    return url_for("planning_pages.ical", trainer_id=trainer.id, jeton=token, _external=True)


def _time(field: str, label: str) -> time:
    try:
        return time.fromisoformat(request.form.get(field, ""))
    except ValueError as exc:
        raise DomainError(
            "INVALID_FORM_FIELD", f"{label} : heure invalide (HH:MM).", status=422
        ) from exc


def _date(field: str, label: str) -> date:
    try:
        return date.fromisoformat(request.form.get(field, ""))
    except ValueError as exc:
        raise DomainError("INVALID_FORM_FIELD", f"{label} : date invalide.", status=422) from exc


def _template() -> dict:
    """The fields a slot and a series share, from the form."""
    kind = request.form.get("kind", "centre")
    if kind not in SLOT_KINDS:
        raise DomainError("INVALID_FORM_FIELD", "Type de séance inconnu.", status=422)
    composante_id = _int(request.form.get("composante_id"), "composante")
    if composante_id is None:
        raise DomainError("INVALID_FORM_FIELD", "Choisissez une composante.", status=422)
    return {
        "composante_id": composante_id,
        "kind": kind,
        "title": request.form.get("title", "").strip()[:300],
        "group_name": request.form.get("group_name", "").strip()[:100] or None,
        "trainer_id": _int(request.form.get("trainer_id"), "formateur"),
        "room_id": _int(request.form.get("room_id"), "salle"),
    }


def _confirmed() -> bool:
    return request.form.get("confirm") == "1"


def _form_page(template: str, error: DomainError | None = None, **context):
    status = error.status if error else 200
    findings = error.details if error else {}
    return render_template(
        template,
        error=error.message if error else None,
        conflicts=findings.get("conflicts", []),
        warnings=findings.get("warnings", []),
        form=request.form,
        **_choices(),
        **context,
    ), status


def _after_planning(created, monday: date):
    flash(f"{len(created)} séance(s) enregistrée(s).", "success")
    return redirect(url_for("planning_pages.week", semaine=planning.week_text(monday)))


@bp.route("/seance/nouvelle", methods=["GET", "POST"])
@login_required
def new_slot():
    _require_write()
    if request.method == "GET":
        return _form_page("planning/slot_form.html", slot=None)
    try:
        day = _date("date", "Date")
        data = {
            **_template(),
            "starts_at": at_local(day, *_hm(_time("start", "Début"))),
            "ends_at": at_local(day, *_hm(_time("end", "Fin"))),
        }
        created = planning.plan_slots(db.session, g.org, [data], _confirmed())
    except DomainError as error:
        db.session.rollback()
        return _form_page("planning/slot_form.html", error, slot=None)
    return _after_planning(created, planning.week_start(day))


def _hm(moment: time) -> tuple[int, int]:
    return moment.hour, moment.minute


@bp.route("/serie", methods=["GET", "POST"])
@login_required
def series():
    """Every chosen weekday of N weeks at the same hours (« tous les matins, lundi–vendredi,
    pendant 2 semaines »): all saved, or none."""
    _require_write()
    if request.method == "GET":
        return _form_page("planning/series.html", skipped=[])
    skipped = []
    try:
        monday = planning.week_start(_date("first_day", "Première semaine"))
        items, skipped = planning.series_items(
            _template(),
            monday,
            _int(request.form.get("weeks"), "semaines") or 0,
            [int(d) for d in request.form.getlist("weekdays") if d.isdigit()],
            _time("start", "Début"),
            _time("end", "Fin"),
            skip_holidays=request.form.get("skip_holidays") == "1",
        )
        created = planning.plan_slots(db.session, g.org, items, _confirmed())
    except DomainError as error:
        db.session.rollback()
        return _form_page("planning/series.html", error, skipped=skipped)
    for line in skipped:
        flash(f"Jour férié sauté — {line}", "success")
    return _after_planning(created, monday)


@bp.post("/copier")
@login_required
def copy_week():
    _require_write()
    source = planning.parse_week(request.form.get("semaine"), today())
    target = planning.parse_week(request.form.get("vers"), today())
    filters = {key: request.form.get(param) for param, key in FILTERS.items()}
    filters = {k: (v if k == "group_name" else _int(v, k)) for k, v in filters.items() if v}
    try:
        items = planning.copy_week_items(db.session, g.org, source, target, filters)
        created = planning.plan_slots(db.session, g.org, items, _confirmed())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        for finding in error.details.get("conflicts", [])[:20]:
            flash(finding["message"], "error")
        return redirect(url_for("planning_pages.week", semaine=planning.week_text(source)))
    return _after_planning(created, target)


def _slot(slot_id: int) -> Slot:
    try:
        return get_owned(db.session, Slot, slot_id, g.org, "séance")
    except NotFound:
        abort(404)


@bp.route("/seance/<int:slot_id>", methods=["GET", "POST"])
@login_required
def edit_slot(slot_id: int):
    _require_write()
    slot = _slot(slot_id)
    if request.method == "GET":
        start, end = local_time(slot.starts_at), local_time(slot.ends_at)
        values = {
            "composante_id": str(slot.composante_id), "kind": slot.kind, "title": slot.title,
            "group_name": slot.group_name or "", "trainer_id": str(slot.trainer_id or ""),
            "room_id": str(slot.room_id or ""), "date": start.date().isoformat(),
            "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
        }  # fmt: skip
        html = render_template(
            "planning/slot_form.html", slot=slot, form=values, error=None, conflicts=[],
            warnings=[], **_choices(),
        )  # fmt: skip
        return html
    try:
        day = _date("date", "Date")
        data = {
            **_template(),
            "starts_at": at_local(day, *_hm(_time("start", "Début"))),
            "ends_at": at_local(day, *_hm(_time("end", "Fin"))),
        }
        update_slot(db.session, g.org, slot, data)
        planning.check_update(db.session, slot, data.keys(), _confirmed())
    except DomainError as error:
        db.session.rollback()
        return _form_page("planning/slot_form.html", error, slot=_slot(slot_id))
    flash("Séance modifiée.", "success")
    return redirect(
        url_for("planning_pages.week", semaine=planning.week_text(planning.week_start(day)))
    )


@bp.post("/seance/<int:slot_id>/supprimer")
@login_required
def remove_slot(slot_id: int):
    _require_write()
    slot = _slot(slot_id)
    monday = planning.week_start(local_time(slot.starts_at).date())
    try:
        delete_slot(db.session, g.org, slot)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Séance supprimée.", "success")
    return redirect(url_for("planning_pages.week", semaine=planning.week_text(monday)))


@bp.get("/formateur/<int:trainer_id>.ics")
def ical(trainer_id: int):
    """A trainer's own slots from 90 days back. A calendar app sends no cookie: the signed
    ``jeton`` of the address stands for the session (``accounts.calendar_token``)."""
    token = request.args.get("jeton")
    if token:
        user = user_for_calendar_token(db.session, token, current_app.secret_key)
        if user.id != trainer_id:
            abort(404)
    else:
        user = _session_user()
        if user is None:
            return redirect(url_for("pages.login", next=request.full_path))
        if user.id != trainer_id and not can(user, "slot:read_all"):
            abort(404)
    trainer = get_owned(db.session, User, trainer_id, user.organisation, "formateur")
    slots = db.session.scalars(
        org_select(Slot, user.organisation)
        .where(Slot.trainer_id == trainer.id,
               Slot.starts_at >= local_midnight_utc(today() - timedelta(days=ICAL_DAYS_BACK)))
        .order_by(Slot.starts_at)
    ).all()  # fmt: skip
    body = trainer_calendar(user.organisation, trainer.full_name, slots)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="planning-{trainer.id}.ics"'})  # fmt: skip


@bp.get("/salles")
@login_required
def rooms():
    _require_write()
    found = db.session.scalars(org_select(Site, g.org).order_by(Site.name)).all()
    return render_template("planning/rooms.html", sites=found)


def _rooms_action(action, success: str):
    _require_write()
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("planning_pages.rooms"))


@bp.post("/salles/site")
@login_required
def save_site():
    site_id = _int(request.form.get("site_id"), "site")
    site = get_owned(db.session, Site, site_id, g.org, "site") if site_id else None
    return _rooms_action(
        lambda: sites.save_site(db.session, g.org, request.form, site), "Site enregistré."
    )


@bp.post("/salles/site/<int:site_id>/supprimer")
@login_required
def delete_site(site_id: int):
    site = get_owned(db.session, Site, site_id, g.org, "site")
    return _rooms_action(lambda: sites.delete_site(db.session, site), "Site supprimé.")


@bp.post("/salles/salle")
@login_required
def save_room():
    room_id = _int(request.form.get("room_id"), "salle")
    room = get_owned(db.session, Room, room_id, g.org, "salle") if room_id else None
    return _rooms_action(
        lambda: sites.save_room(db.session, g.org, request.form, room), "Salle enregistrée."
    )


@bp.post("/salles/salle/<int:room_id>/supprimer")
@login_required
def delete_room(room_id: int):
    room = get_owned(db.session, Room, room_id, g.org, "salle")
    return _rooms_action(lambda: sites.delete_room(db.session, room), "Salle supprimée.")
