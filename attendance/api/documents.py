"""Documents as PDF (certificates, attestations, sign-in sheets), the batch zip of a BDC and
the trainer's entry of competence results (R13, R14).

PDF and zip responses are files; errors stay JSON like everywhere else. The trainee's own
download from their phone will call ``reports.certificates.certificate_for_trainee`` too,
once phones are bound to trainees (attendance.signing).
"""

import io

from flask import g, send_file
from flask_smorest import Blueprint
from marshmallow import fields, validate

from attendance.accounts import can
from attendance.api.common import permission_required
from attendance.api.french import FrenchSchema
from attendance.clock import parse_month
from attendance.contract.competences import get_assessment, save_assessment
from attendance.errors import NotFound
from attendance.extensions import db
from attendance.models import PurchaseOrder, Slot, Trainee
from attendance.tenancy import get_owned
from reports.assiduite import assiduite_pdf
from reports.batch import KINDS, documents_zip
from reports.certificates import certificate_for_trainee, certificate_pdf
from reports.competences import competence_attestation_pdf
from reports.period import Period
from reports.sheets import parse_week, slot_sheet_pdf, week_sheet_pdf

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api/documents",
    description="Certificats, attestations, feuilles d'émargement (PDF) et lot zip d'un BDC",
)


def _file_doc(mimetype: str) -> dict:
    content = {mimetype: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {"200": {"description": "Fichier", "content": content}}}


PDF_DOC = _file_doc("application/pdf")


def _pdf(content: bytes, name: str):
    return send_file(
        io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name
    )


class PeriodArgs(FrenchSchema):
    first = fields.String(
        data_key="from", required=True, metadata={"description": "Premier mois AAAA-MM"}
    )
    last = fields.String(
        data_key="to", load_default=None, metadata={"description": "Dernier mois AAAA-MM"}
    )


class BatchArgs(PeriodArgs):
    kinds = fields.List(
        fields.String(validate=validate.OneOf(KINDS, error="Choisissez parmi {choices}.")),
        load_default=list(KINDS),
        metadata={"description": "certificats, assiduite, emargement"},
    )


class CompetenceSchema(FrenchSchema):
    pathway_id = fields.Integer(dump_only=True)
    evaluation_results = fields.String(
        required=True,
        validate=validate.Length(max=10_000, error="10 000 caractères au plus."),
        metadata={"multiline": True},
    )
    skills = fields.List(
        fields.String(validate=validate.Length(min=1, max=500, error="1 à 500 caractères.")),
        required=True,
        validate=validate.Length(max=100, error="100 compétences au plus."),
    )
    company_experience = fields.String(
        load_default="",
        validate=validate.Length(max=10_000, error="10 000 caractères au plus."),
        metadata={"multiline": True},
    )
    assessed_by_id = fields.Integer(dump_only=True, allow_none=True)
    assessed_at = fields.DateTime(dump_only=True)


@blp.get("/purchase-orders/<int:purchase_order_id>/trainees/<int:trainee_id>/certificate")
@blp.arguments(PeriodArgs, location="query")
@blp.doc(**PDF_DOC)
@permission_required("contract:read")
def get_certificate(args, purchase_order_id, trainee_id):
    """Certificat de réalisation d'un stagiaire sur un BDC, pour un ou plusieurs mois."""
    period = Period.parse(args["first"], args["last"])
    content = certificate_pdf(db.session, g.org, purchase_order_id, trainee_id, period)
    return _pdf(content, f"certificat_{period.slug}_{trainee_id}.pdf")


@blp.get("/trainees/<int:trainee_id>/certificate")
@blp.arguments(PeriodArgs, location="query")
@blp.doc(**PDF_DOC)
@permission_required("contract:read")
def get_trainee_certificate(args, trainee_id):
    """Certificat de réalisation d'un stagiaire, tous ses BDC de la période (une page chacun)."""
    period = Period.parse(args["first"], args["last"])
    trainee = get_owned(db.session, Trainee, trainee_id, g.org, "stagiaire")
    content = certificate_for_trainee(db.session, g.org, trainee, period)
    return _pdf(content, f"certificat_{period.slug}_{trainee_id}.pdf")


@blp.get(
    "/purchase-orders/<int:purchase_order_id>/trainees/<int:trainee_id>/assiduite/<string:month>"
)
@blp.doc(**PDF_DOC)
@permission_required("contract:read")
def get_assiduite(purchase_order_id, trainee_id, month):
    """Attestation d'assiduité mensuelle d'un stagiaire."""
    first = parse_month(month)
    content = assiduite_pdf(db.session, g.org, purchase_order_id, trainee_id, first)
    return _pdf(content, f"assiduite_{first:%Y-%m}_{trainee_id}.pdf")


@blp.get("/slots/<int:slot_id>/sheet")
@blp.doc(**PDF_DOC)
@permission_required("slot:read")
def get_slot_sheet(slot_id):
    """Feuille d'émargement d'une séance (un formateur : ses séances seulement)."""
    slot = get_owned(db.session, Slot, slot_id, g.org, "séance")
    if not can(g.user, "slot:read_all") and slot.trainer_id != g.user.id:
        raise NotFound("séance")
    return _pdf(slot_sheet_pdf(db.session, g.org, slot.id), f"emargement_seance_{slot_id}.pdf")


@blp.get("/trainees/<int:trainee_id>/weeks/<string:week>/sheet")
@blp.doc(**PDF_DOC)
@permission_required("slot:read_all")
def get_week_sheet(trainee_id, week):
    """Feuille d'émargement hebdomadaire d'un stagiaire (semaine 2026-W10 ou une date)."""
    monday = parse_week(week)
    content = week_sheet_pdf(db.session, g.org, trainee_id, monday)
    return _pdf(content, f"emargement_{monday:%G-W%V}_{trainee_id}.pdf")


@blp.get("/purchase-orders/<int:purchase_order_id>/documents.zip")
@blp.arguments(BatchArgs, location="query")
@blp.doc(**_file_doc("application/zip"))
@permission_required("contract:read")
def get_batch(args, purchase_order_id):
    """Tous les documents d'un BDC et d'une période en un zip (un PDF par stagiaire)."""
    period = Period.parse(args["first"], args["last"])
    order = get_owned(db.session, PurchaseOrder, purchase_order_id, g.org, "bon de commande")
    buffer = io.BytesIO()
    documents_zip(db.session, g.org, order.id, period, buffer, kinds=args["kinds"])
    buffer.seek(0)
    name = f"documents_{order.number}_{period.slug}.zip"
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name=name)


@blp.get("/pathways/<int:pathway_id>/competences")
@blp.response(200, CompetenceSchema)
@permission_required("trainee:read")
def get_competences(pathway_id):
    """Résultats d'évaluation et compétences saisis pour un parcours (R14)."""
    assessment = get_assessment(db.session, g.org, pathway_id)
    if assessment is None:
        raise NotFound("saisie des compétences")
    return assessment


@blp.put("/pathways/<int:pathway_id>/competences")
@blp.arguments(CompetenceSchema)
@blp.response(200, CompetenceSchema)
@permission_required("competence:write")
def put_competences(data, pathway_id):
    """Saisie (ou remplacement) par le formateur des résultats et compétences acquises (R14)."""
    assessment = save_assessment(db.session, g.org, g.user, pathway_id, data)
    return assessment


@blp.get("/pathways/<int:pathway_id>/competences/attestation")
@blp.doc(**PDF_DOC)
@permission_required("contract:read")
def get_competence_attestation(pathway_id):
    """Attestation de compétences de sortie (R14), cachet et signature de l'organisme."""
    content = competence_attestation_pdf(db.session, g.org, pathway_id)
    return _pdf(content, f"attestation_competences_{pathway_id}.pdf")
