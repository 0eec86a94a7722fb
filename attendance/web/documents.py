"""Pages for billing staff: a BDC month's documents, each downloadable, or all as one zip.

The same service functions as the API and the CLI produce every file (``reports``).
"""

import io

from flask import Blueprint, abort, g, redirect, render_template, send_file, url_for

from attendance import jobs
from attendance.accounts import can
from attendance.clock import parse_month, window
from attendance.errors import DomainError, NotFound
from attendance.extensions import db
from attendance.hours.classes import LABELS_FR
from attendance.models import Composante, PurchaseOrder, Slot
from attendance.tenancy import get_owned
from attendance.web.pages import login_required
from reports.assiduite import assiduite_pdf
from reports.batch import documents_zip
from reports.certificates import certificate_pdf, certificates_for_order
from reports.pdf import hours_fr, month_fr
from reports.period import Period
from reports.sheets import slot_sheet_pdf

bp = Blueprint("documents_pages", __name__, url_prefix="/documents")


def _guarded(produce):
    """Run a document service; a missing or foreign row is a 404 page, a refusal a 400."""
    if not can(g.user, "contract:read"):
        abort(403)
    try:
        return produce()
    except NotFound:
        abort(404)
    except DomainError as exc:
        abort(exc.status if exc.status in (400, 404, 409, 422) else 400, exc.message)


def _pdf(content: bytes, name: str):
    return send_file(
        io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name
    )


@bp.get("/<int:purchase_order_id>/<month>")
@login_required
def month_documents(purchase_order_id: int, month: str):
    """The month's trainees (hours from the engine) and slots, with their documents."""

    def produce():
        period = Period.month(parse_month(month))
        order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
        certificates = certificates_for_order(db.session, g.org, order.id, period)
        win = window(period.first_month)
        slots = db.session.scalars(
            db.select(Slot)
            .join(Composante, Composante.id == Slot.composante_id)
            .where(
                Slot.organisation_id == g.org.id,
                Composante.purchase_order_id == order.id,
                win.holds(Slot.starts_at),
            )
            .order_by(Slot.starts_at, Slot.id)
        ).all()
        return render_template(
            "documents_pages/month.html",
            order=order,
            month=f"{period.first_month:%Y-%m}",
            month_label=month_fr(period.first_month),
            certificates=certificates,
            slots=slots,
            labels=LABELS_FR,
            hours=hours_fr,
        )

    return _guarded(produce)


@bp.get("/<int:purchase_order_id>/<month>/certificat/<int:trainee_id>.pdf")
@login_required
def certificate(purchase_order_id: int, month: str, trainee_id: int):
    def produce():
        period = Period.month(parse_month(month))
        content = certificate_pdf(db.session, g.org, purchase_order_id, trainee_id, period)
        return _pdf(content, f"certificat_{period.slug}_{trainee_id}.pdf")

    return _guarded(produce)


@bp.get("/<int:purchase_order_id>/<month>/assiduite/<int:trainee_id>.pdf")
@login_required
def assiduite(purchase_order_id: int, month: str, trainee_id: int):
    def produce():
        first = parse_month(month)
        content = assiduite_pdf(db.session, g.org, purchase_order_id, trainee_id, first)
        return _pdf(content, f"assiduite_{first:%Y-%m}_{trainee_id}.pdf")

    return _guarded(produce)


@bp.get("/seance/<int:slot_id>.pdf")
@login_required
def slot_sheet(slot_id: int):
    return _guarded(
        lambda: _pdf(slot_sheet_pdf(db.session, g.org, slot_id), f"emargement_{slot_id}.pdf")
    )


@bp.get("/<int:purchase_order_id>/<month>/documents.zip")
@login_required
def batch(purchase_order_id: int, month: str):
    def produce():
        period = Period.month(parse_month(month))
        order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
        buffer = io.BytesIO()
        documents_zip(db.session, g.org, order.id, period, buffer)
        buffer.seek(0)
        return send_file(
            buffer,
            mimetype="application/zip",
            as_attachment=True,
            download_name=f"documents_{order.number}_{period.slug}.zip",
        )

    return _guarded(produce)


@bp.post("/<int:purchase_order_id>/<month>/documents.zip")
@login_required
def start_batch(purchase_order_id: int, month: str):
    """The whole zip is built in the background (~30 s for a big BDC): the user follows its
    progress on the job's page, then downloads it there."""

    def produce():
        period = Period.month(parse_month(month))
        order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
        params = {"purchase_order_id": order.id, "first": f"{period.first_month:%Y-%m}"}
        job = jobs.enqueue(db.session, g.org, g.user, "documents_zip", params)
        return redirect(url_for("job_pages.detail", job_id=job.id))

    return _guarded(produce)
