"""A trainee's data, for data-subject requests: the export zip. Corrections go through
``PATCH /api/trainees/<id>``, which logs them (attendance.privacy.subject)."""

import io

from flask import g, send_file
from flask_smorest import Blueprint

from attendance.api.common import permission_required
from attendance.extensions import db
from reports.personal_data import trainee_archive

blp = Blueprint(
    "trainee_data",
    __name__,
    url_prefix="/api/trainees",
    description="Données personnelles d'un stagiaire (droit d'accès et de rectification)",
)

ZIP_DOC = {
    "responses": {
        "200": {
            "description": "Archive zip",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@blp.get("/<int:trainee_id>/donnees")
@blp.doc(**ZIP_DOC)
@permission_required("trainee:write")
def export_trainee_data(trainee_id):
    """Tout ce que le service détient sur le stagiaire : JSON, signatures et certificat."""
    content = trainee_archive(db.session, g.org, trainee_id)
    return send_file(
        io.BytesIO(content),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"stagiaire-{trainee_id}-donnees.zip",
    )
