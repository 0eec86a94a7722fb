"""Bulk import of trainees and pathways from the lists billing staff receive."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import fields

from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.contract.importer import import_file
from attendance.errors import DomainError
from attendance.extensions import db

blp = Blueprint("imports", __name__, url_prefix="/api/imports", description="Imports")


class ImportFileSchema(FrenchSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImportResultSchema(FrenchSchema):
    trainees_created = fields.Integer()
    trainees_matched = fields.Integer()
    pathways_created = fields.Integer()


@blp.post("/trainees")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(201, ImportResultSchema)
@permission_required("import")
def post_import(files):
    """Importe stagiaires et parcours (xlsx ou CSV) : tout ou rien, erreurs ligne par ligne."""
    upload = files["file"]
    if not hasattr(upload, "read"):
        raise DomainError(
            "IMPORT_NO_FILE", "Joignez un fichier xlsx ou CSV dans le champ « file »."
        )
    result = import_file(db.session, g.org, upload.filename or "", upload.read(), g.user)
    return result
