"""A trainee's own requests (GDPR art. 15, 16, 20): everything held about them, in one zip
(``donnees.json`` with their signatures and certificate beside it), and corrections to their
identity, each logged.

The evidence log records *which* fields were corrected and by whom, never the values: the
log cannot be rewritten, and retention must later be able to remove those values.
"""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance import evidence
from attendance.contract.trainees import update_trainee
from attendance.errors import Conflict
from attendance.models import (
    CompetenceAssessment,
    Correction,
    Device,
    DeviceBindingRequest,
    Emargement,
    EvidenceEntry,
    Invitation,
    KioskCredential,
    Organisation,
    Pathway,
    PathwayEvent,
    Reminder,
    Slot,
    Trainee,
    User,
)
from attendance.tenancy import get_owned

IDENTITY = ("last_name", "first_name", "birth_date", "email", "phone", "external_id", "boe", "aah")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} octets>"
    return value


def _row(obj, *skip: str) -> dict:
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


def refuse_if_anonymised(trainee: Trainee) -> None:
    if trainee.anonymised_at is not None:
        raise Conflict(
            "TRAINEE_ANONYMISED",
            "Ce stagiaire a été anonymisé à l'issue de la durée de conservation : "
            "il n'y a plus de données personnelles à exporter ou à corriger.",
            {"trainee_id": trainee.id},
        )


def trainee_data(session: Session, org: Organisation, trainee_id: int) -> dict:
    """Everything the service holds about one trainee, as JSON values."""
    trainee = get_owned(session, Trainee, trainee_id, org, "stagiaire")
    refuse_if_anonymised(trainee)

    def rows(model, *skip, where=None):
        statement = select(model).where(
            model.organisation_id == org.id,
            where if where is not None else model.trainee_id == trainee.id,
        )
        return [_row(item, *skip) for item in session.scalars(statement.order_by(model.id))]

    pathway_ids = select(Pathway.id).where(Pathway.trainee_id == trainee.id)
    emargements = session.execute(
        select(Emargement, Slot)
        .join(Slot, Slot.id == Emargement.slot_id)
        .where(Emargement.organisation_id == org.id, Emargement.trainee_id == trainee.id)
        .order_by(Slot.starts_at)
    ).all()
    log = [
        {"seq": e.seq, "at": _plain(e.at), "kind": e.kind, "payload": e.payload}
        for e in session.scalars(
            select(EvidenceEntry)
            .where(EvidenceEntry.organisation_id == org.id)
            .order_by(EvidenceEntry.seq)
        )
        if e.payload.get("trainee_id") == trainee.id
    ]
    return {
        "organisme": {"nom": org.name, "siret": org.siret},
        "stagiaire": _row(trainee),
        "parcours": rows(Pathway),
        "historique_parcours": rows(PathwayEvent, where=PathwayEvent.pathway_id.in_(pathway_ids)),
        "emargements": [
            {
                **_row(e, "signature_png"),
                "seance": {
                    "debut": _plain(slot.starts_at),
                    "fin": _plain(slot.ends_at),
                    "type": slot.kind,
                    "intitule": slot.title,
                    "lieu": slot.site,
                },
                "signature": f"signatures/emargement-{e.id}.png" if e.signature_png else None,
            }
            for e, slot in emargements
        ],
        "corrections": rows(Correction, "attachment"),
        "evaluations": rows(
            CompetenceAssessment, where=CompetenceAssessment.pathway_id.in_(pathway_ids)
        ),
        "telephones": rows(Device),
        "telephones_demandes_en_seance": rows(DeviceBindingRequest, "secret_hash"),
        "invitations": rows(Invitation, "jti"),
        "borne": rows(KioskCredential, "pin_hash", "card_nonce"),
        "relances": rows(Reminder),
        "journal_de_preuves": log,
    }


def rectify_trainee(
    session: Session, org: Organisation, trainee_id: int, data: dict, user: User | None
) -> Trainee:
    """Correct a trainee's identity (GDPR art. 16) and log which fields changed, by whom."""
    trainee = get_owned(session, Trainee, trainee_id, org, "stagiaire")
    refuse_if_anonymised(trainee)
    session.commit()  # the chain lock must be the transaction's first statement (SQLite)
    evidence.lock_chain(session, org.id)
    trainee = session.get(Trainee, trainee_id, populate_existing=True)
    changed = sorted(k for k, v in data.items() if getattr(trainee, k) != v)
    update_trainee(session, org, trainee, data)
    if changed:
        evidence.append(
            session,
            org.id,
            "trainee_rectified",
            {"trainee_id": trainee.id, "fields": changed, "by": user.id if user else None},
        )
    return trainee
