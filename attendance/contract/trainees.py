"""Operations on trainees."""

from sqlalchemy.orm import Session

from attendance.contract import rules
from attendance.contract.pathways import delete_pathway
from attendance.models import Organisation, Trainee


def create_trainee(session: Session, org: Organisation, data: dict) -> Trainee:
    rules.check_boe_aah(data.get("boe", False), data.get("aah", False))
    trainee = Trainee(organisation_id=org.id, **data)
    session.add(trainee)
    session.flush()
    return trainee


def update_trainee(session: Session, org: Organisation, trainee: Trainee, data: dict) -> Trainee:
    rules.check_boe_aah(data.get("boe", trainee.boe), data.get("aah", trainee.aah))
    for key, value in data.items():
        setattr(trainee, key, value)
    session.flush()
    return trainee


def delete_trainee(session: Session, org: Organisation, trainee: Trainee) -> None:
    """R9 (FAQ 26, 49): only a trainee with no hour declared may be deleted."""
    for pathway in list(trainee.pathways):
        delete_pathway(session, org, pathway)
    session.delete(trainee)
    session.flush()
