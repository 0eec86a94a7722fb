"""Trainees and their pathways for staff: the searchable list, the trainee page with its
pathways and their dated history (R18), the pathway form, abandon and delete (R9), and
the xlsx/CSV import. Every write goes through the same domain functions as the API."""

import io
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from openpyxl import Workbook
from sqlalchemy import func, or_, select

from attendance.accounts import can
from attendance.contract.importer import TEMPLATE_HEADERS, import_file
from attendance.contract.pathways import (
    abandon_pathway,
    create_pathway,
    delete_pathway,
    update_pathway,
)
from attendance.contract.trainees import create_trainee, delete_trainee
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.french import date_fr, hours_fr
from attendance.models import Composante, Pathway, PathwayEvent, PurchaseOrder, Trainee, User
from attendance.privacy.subject import rectify_trainee
from attendance.tenancy import get_owned
from attendance.web.pages import login_required
from attendance.web.trainee_forms import (
    STATUS_LABELS,
    AbandonForm,
    PathwayForm,
    TraineeForm,
    errors_of,
    read_form,
)

bp = Blueprint("trainee_pages", __name__)
PER_PAGE = 50
EVENT_LABELS = {
    "created": "Inscription",
    "updated": "Modification",
    "dates_moved": "Dates déplacées",
    "abandon": "Abandon",
    "prescribed_aligned": "Heures prescrites ramenées aux réalisées",
}
FIELD_LABELS = {
    "entry_date": "Date d'entrée",
    "planned_exit_date": "Sortie prévue",
    "effective_exit_date": "Sortie effective",
    "prescribed_centre_minutes": "Heures centre",
    "prescribed_company_minutes": "Heures entreprise",
    "status": "Statut",
}


def _require(permission: str) -> None:
    if not can(g.user, permission):
        abort(403)


def _owned(model, item_id: int, what: str):
    try:
        return get_owned(db.session, model, item_id, g.org, what)
    except NotFound:
        abort(404)


def _render(template: str, status: int = 200, **context):
    return render_template(
        template,
        statuses=STATUS_LABELS,
        hours=hours_fr,
        date_fr=date_fr,
        can_write=can(g.user, "trainee:write"),
        can_contract=can(g.user, "contract:write"),
        **context,
    ), status


@dataclass(frozen=True)
class PathwayLine:
    """A pathway as the list shows it: where and in which state."""

    pathway_id: int
    order_number: str
    composante_code: str
    status: str


def _search(statement, q: str):
    like = f"%{q.lower()}%"
    return statement.where(
        or_(
            func.lower(Trainee.last_name).like(like),
            func.lower(Trainee.first_name).like(like),
            func.lower(Trainee.email).like(like),
            func.lower(Trainee.external_id).like(like),
        )
    )


@bp.get("/stagiaires")
@login_required
def index():
    """One page of 50 in name order, read through the (organisation, name) index as plain
    rows (no ORM objects to build); the pathways of the page's trainees come in one more
    query, whatever the page size."""
    _require("trainee:read")
    q = request.args.get("q", "").strip()[:120]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    statement = select(
        Trainee.id, Trainee.last_name, Trainee.first_name, Trainee.email, Trainee.external_id
    ).where(Trainee.organisation_id == g.org.id)
    if q:
        statement = _search(statement, q)
    total = db.session.scalar(
        select(func.count()).select_from(statement.with_only_columns(Trainee.id).subquery())
    )
    trainees = db.session.execute(
        statement.order_by(Trainee.last_name, Trainee.first_name, Trainee.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    lines: dict[int, list[PathwayLine]] = {t.id: [] for t in trainees}
    if trainees and can(g.user, "contract:read"):
        for trainee_id, *line in db.session.execute(
            select(
                Pathway.trainee_id,
                Pathway.id,
                PurchaseOrder.number,
                Composante.code,
                Pathway.status,
            )
            .join(Composante, Composante.id == Pathway.composante_id)
            .join(PurchaseOrder, PurchaseOrder.id == Composante.purchase_order_id)
            .where(Pathway.trainee_id.in_(list(lines)))
            .order_by(Pathway.entry_date, Pathway.id)
        ):
            lines[trainee_id].append(PathwayLine(*line))
    pages = max(1, -(-total // PER_PAGE))
    return _render(
        "trainees/index.html",
        trainees=trainees,
        lines=lines,
        q=q,
        page=page,
        pages=pages,
        total=total,
        show_pathways=can(g.user, "contract:read"),
    )


@bp.route("/stagiaires/nouveau", methods=["GET", "POST"])
@login_required
def new():
    _require("trainee:write")
    if request.method == "GET":
        return _render("trainees/new.html", values={}, errors={})
    data, errors = read_form(TraineeForm(), request.form)
    if not errors:
        try:
            trainee = create_trainee(db.session, g.org, data)
        except DomainError as error:
            db.session.rollback()
            errors = errors_of(error)
        else:
            flash(f"Stagiaire {trainee.display_name} créé(e).", "success")
            return redirect(url_for("trainee_pages.detail", trainee_id=trainee.id))
    return _render("trainees/new.html", 422, values=request.form, errors=errors)


def _composantes() -> list[tuple[str, str]]:
    """The organisation's composantes a pathway can be opened on, labelled by BDC: (the
    option's value, its label), ready for a select of hundreds of options."""
    return [
        (str(composante_id), f"{number} — {code} · {title}")
        for composante_id, number, code, title in db.session.execute(
            select(Composante.id, PurchaseOrder.number, Composante.code, Composante.title)
            .join(PurchaseOrder, PurchaseOrder.id == Composante.purchase_order_id)
            .where(Composante.organisation_id == g.org.id)
            .order_by(PurchaseOrder.number, Composante.code)
        )
    ]


def _shown(key: str, value) -> str:
    """A stored change as people read it: dates « 03/07/2026 », hours « 150,00 h »."""
    if value is None or value == "":
        return "—"
    if key.endswith("_minutes"):
        return hours_fr(value)
    if key.endswith("_date"):
        return date_fr(date.fromisoformat(value))
    if key == "status":
        return STATUS_LABELS.get(value, value)
    return str(value)


def _changes(changes: dict) -> list[str]:
    """« Sortie prévue : 03/07/2026 → 31/07/2026 », one line per changed field."""
    lines = []
    for key, change in changes.items():
        label = FIELD_LABELS.get(key, key)
        if isinstance(change, dict) and "from" in change:
            lines.append(f"{label} : {_shown(key, change['from'])} → {_shown(key, change['to'])}")
        elif key in FIELD_LABELS:
            lines.append(f"{label} : {_shown(key, change)}")
    return lines


def _history(pathway_ids: list[int]) -> dict[int, list]:
    """R18: each pathway's dated events, with who made them, in one query."""
    events: dict[int, list] = {pathway_id: [] for pathway_id in pathway_ids}
    if pathway_ids:
        for event, author in db.session.execute(
            select(PathwayEvent, User.full_name)
            .outerjoin(User, User.id == PathwayEvent.user_id)
            .where(PathwayEvent.pathway_id.in_(pathway_ids))
            .order_by(PathwayEvent.at, PathwayEvent.id)
        ):
            events[event.pathway_id].append((event, _changes(event.changes), author))
    return events


def _trainee_page(trainee: Trainee, status: int = 200, **context):
    pathways = []
    if can(g.user, "contract:read"):
        pathways = db.session.execute(
            select(Pathway, Composante, PurchaseOrder)
            .join(Composante, Composante.id == Pathway.composante_id)
            .join(PurchaseOrder, PurchaseOrder.id == Composante.purchase_order_id)
            .where(Pathway.trainee_id == trainee.id)
            .order_by(Pathway.entry_date, Pathway.id)
        ).all()
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("pathway_values", {})
    context.setdefault("pathway_errors", {})
    return _render(
        "trainees/detail.html",
        status,
        trainee=trainee,
        pathways=pathways,
        history=_history([p.id for p, _, _ in pathways]),
        composantes=_composantes() if can(g.user, "contract:write") else [],
        event_labels=EVENT_LABELS,
        field_labels=FIELD_LABELS,
        **context,
    )


@bp.get("/stagiaires/<int:trainee_id>")
@login_required
def detail(trainee_id: int):
    _require("trainee:read")
    return _trainee_page(_owned(Trainee, trainee_id, "stagiaire"))


@bp.post("/stagiaires/<int:trainee_id>")
@login_required
def edit(trainee_id: int):
    """Identity corrections are logged in the evidence chain (which fields, by whom)."""
    _require("trainee:write")
    trainee = _owned(Trainee, trainee_id, "stagiaire")
    data, errors = read_form(TraineeForm(), request.form)
    if not errors:
        try:
            rectify_trainee(db.session, g.org, trainee.id, data, g.user)
        except DomainError as error:
            db.session.rollback()
            errors = errors_of(error)
        else:
            flash("Fiche du stagiaire enregistrée.", "success")
            return redirect(url_for("trainee_pages.detail", trainee_id=trainee_id))
    trainee = _owned(Trainee, trainee_id, "stagiaire")
    return _trainee_page(trainee, 422, values=request.form, errors=errors)


@bp.post("/stagiaires/<int:trainee_id>/supprimer")
@login_required
def remove(trainee_id: int):
    """R9: only a trainee with no attendance record may go; otherwise the reason is shown."""
    _require("trainee:write")
    trainee = _owned(Trainee, trainee_id, "stagiaire")
    name = trainee.display_name
    try:
        delete_trainee(db.session, g.org, trainee)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("trainee_pages.detail", trainee_id=trainee_id))
    flash(f"Stagiaire {name} supprimé(e).", "success")
    return redirect(url_for("trainee_pages.index"))


@bp.post("/stagiaires/<int:trainee_id>/parcours")
@login_required
def new_pathway(trainee_id: int):
    _require("contract:write")
    trainee = _owned(Trainee, trainee_id, "stagiaire")
    data, errors = read_form(PathwayForm(), request.form)
    if not errors:
        data.pop("reason", None)
        try:
            create_pathway(db.session, g.org, {**data, "trainee_id": trainee.id}, g.user)
        except DomainError as error:
            db.session.rollback()
            errors = errors_of(error, ["entry_date"])
        else:
            flash("Parcours enregistré.", "success")
            return redirect(url_for("trainee_pages.detail", trainee_id=trainee_id))
    trainee = _owned(Trainee, trainee_id, "stagiaire")
    return _trainee_page(trainee, 422, pathway_values=request.form, pathway_errors=errors)


def _pathway_page(pathway: Pathway, status: int = 200, **context):
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("abandon_errors", {})
    return _render(
        "trainees/pathway.html",
        status,
        pathway=pathway,
        history=_history([pathway.id])[pathway.id],
        event_labels=EVENT_LABELS,
        field_labels=FIELD_LABELS,
        **context,
    )


@bp.route("/parcours/<int:pathway_id>", methods=["GET", "POST"])
@login_required
def pathway(pathway_id: int):
    """R18: moved dates are kept with their old values in the history shown below."""
    _require("contract:read")
    item = _owned(Pathway, pathway_id, "parcours")
    if request.method == "GET":
        return _pathway_page(item)
    _require("contract:write")
    form = {**request.form.to_dict(), "composante_id": str(item.composante_id)}
    data, errors = read_form(PathwayForm(), _Form(form))
    if not errors:
        data.pop("composante_id")
        reason = data.pop("reason", "")
        changed = [key for key, value in data.items() if getattr(item, key) != value]
        try:
            update_pathway(db.session, g.org, item, data, g.user, reason)
        except DomainError as error:
            db.session.rollback()
            errors = errors_of(error, changed)
        else:
            flash("Parcours enregistré.", "success")
            return redirect(url_for("trainee_pages.pathway", pathway_id=pathway_id))
    item = _owned(Pathway, pathway_id, "parcours")
    return _pathway_page(item, 422, values=request.form, errors=errors)


class _Form(dict):
    """A plain dict read as a posted form."""

    def to_dict(self) -> dict:
        return dict(self)


@bp.post("/parcours/<int:pathway_id>/abandon")
@login_required
def abandon(pathway_id: int):
    """R9: an abandon is a trainee who attended at least one hour, then left."""
    _require("contract:write")
    item = _owned(Pathway, pathway_id, "parcours")
    data, errors = read_form(AbandonForm(), request.form)
    if not errors:
        try:
            abandon_pathway(db.session, g.org, item, data["exit_date"], data["reason"], g.user)
        except DomainError as error:
            db.session.rollback()
            errors = errors_of(error, ["exit_date"])
        else:
            flash("Abandon enregistré.", "success")
            return redirect(url_for("trainee_pages.pathway", pathway_id=pathway_id))
    item = _owned(Pathway, pathway_id, "parcours")
    return _pathway_page(item, 422, abandon_values=request.form, abandon_errors=errors)


@bp.post("/parcours/<int:pathway_id>/supprimer")
@login_required
def remove_pathway(pathway_id: int):
    """R9: a pathway with declared hours is not deleted: it is an abandon."""
    _require("contract:write")
    item = _owned(Pathway, pathway_id, "parcours")
    trainee_id = item.trainee_id
    try:
        delete_pathway(db.session, g.org, item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("trainee_pages.pathway", pathway_id=pathway_id))
    flash("Parcours supprimé.", "success")
    return redirect(url_for("trainee_pages.detail", trainee_id=trainee_id))


@bp.route("/stagiaires/import", methods=["GET", "POST"])
@login_required
def import_page():
    """All or nothing: one wrong line and nothing is written; each line's errors are shown."""
    _require("import")
    if request.method == "GET":
        return _render("trainees/import.html")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        error = DomainError("IMPORT_NO_FILE", "Choisissez un fichier xlsx ou CSV à importer.")
        return _render("trainees/import.html", 422, failure=error, rows=[])
    try:
        result = import_file(db.session, g.org, upload.filename, upload.read(), g.user)
    except DomainError as error:
        db.session.rollback()
        return _render(
            "trainees/import.html", 422, failure=error, rows=error.details.get("errors", [])
        )
    return _render("trainees/import.html", result=result, filename=upload.filename)


@bp.get("/stagiaires/import/modele.xlsx")
@login_required
def import_template():
    """The header the importer expects, as an empty workbook to fill in."""
    _require("import")
    book = Workbook()
    book.active.title = "Stagiaires"
    book.active.append(TEMPLATE_HEADERS)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="modele_import_stagiaires.xlsx",
    )
