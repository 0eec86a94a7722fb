"""Pages for background work (travaux): a job's progress, polled, then its file."""

import io

from flask import Blueprint, abort, current_app, g, jsonify, render_template, send_file, url_for

from attendance import jobs
from attendance.accounts import can
from attendance.errors import NotFound
from attendance.extensions import db
from attendance.models import Job
from attendance.web.pages import login_required

bp = Blueprint("job_pages", __name__, url_prefix="/travaux")
STATE_LABELS = {
    "queued": "En attente",
    "running": "En cours",
    "done": "Terminé",
    "failed": "Échec",
}
UNITS = {"documents_zip": "documents"}
TITLES = {"documents_zip": "Zip des documents du BDC"}


def _job(job_id: int) -> Job:
    if not can(g.user, "contract:read"):
        abort(403)
    try:
        return jobs.owned_job(db.session, g.org, job_id)
    except NotFound:
        abort(404)


def _status(job: Job) -> dict:
    unit = UNITS.get(job.kind, "éléments")
    counted = f"{job.done} / {job.total} {unit}" if job.total is not None else "Préparation…"
    return {
        "state": job.state,
        "state_label": STATE_LABELS[job.state],
        "done": job.done,
        "total": job.total,
        "progress_label": counted,
        "error": job.error,
        "download_url": (
            url_for("job_pages.download", job_id=job.id) if job.state == "done" else None
        ),
    }


@bp.get("/<int:job_id>")
@login_required
def detail(job_id: int):
    job = _job(job_id)
    jobs.revive(current_app._get_current_object(), job)
    return render_template(
        "jobs/detail.html", job=job, status=_status(job), title=TITLES.get(job.kind, job.kind)
    )


@bp.get("/<int:job_id>.json")
@login_required
def status(job_id: int):
    """Polled by the page; a job waiting for a worker (new, or its worker died) gets one."""
    job = _job(job_id)
    jobs.revive(current_app._get_current_object(), job)
    response = jsonify(_status(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/fichier")
@login_required
def download(job_id: int):
    job = _job(job_id)
    if job.state != "done":
        abort(404)
    return send_file(
        io.BytesIO(job.result),
        mimetype=job.result_mimetype,
        as_attachment=True,
        download_name=job.result_name,
    )
