"""Every read of tenant data starts from the organisation; nothing filters implicitly."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import NotFound
from attendance.models import Organisation, PurchaseOrder, User


def org_select(model, org: Organisation):
    return select(model).where(model.organisation_id == org.id)


def get_owned(session: Session, model, object_id: int, org: Organisation, what: str):
    """The row if it belongs to ``org``; another tenant's row is reported as absent, not forbidden,
    so ids reveal nothing about other organisations."""
    row = session.get(model, object_id)
    if row is None or row.organisation_id != org.id:
        raise NotFound(what)
    return row


def purchase_order_by_number(session: Session, org: Organisation, number: str):
    """A BDC by its number. Numbers are unique only within one organisation (two Regions'
    orders may share one), so the organisation is part of every such lookup."""
    return session.scalar(
        select(PurchaseOrder).where(
            PurchaseOrder.organisation_id == org.id, PurchaseOrder.number == number
        )
    )


def user_by_email(session: Session, org: Organisation, email: str):
    """A staff account of ``org`` by e-mail (stored lower-case)."""
    return session.scalar(
        select(User).where(User.organisation_id == org.id, User.email == email.strip().lower())
    )
