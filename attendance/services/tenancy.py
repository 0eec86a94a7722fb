"""Every read of tenant data starts from the organisation; nothing filters implicitly."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import NotFound
from attendance.models import Organisation


def org_select(model, org: Organisation):
    return select(model).where(model.organisation_id == org.id)


def get_owned(session: Session, model, object_id: int, org: Organisation, what: str):
    """The row if it belongs to ``org``; another tenant's row is reported as absent, not forbidden,
    so ids reveal nothing about other organisations."""
    row = session.get(model, object_id)
    if row is None or row.organisation_id != org.id:
        raise NotFound(what)
    return row
