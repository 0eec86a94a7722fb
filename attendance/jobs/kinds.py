"""What each kind of job does: a handler reads with the session it is given (never
commits), reports ``progress(done, total)`` and returns its file."""

import io
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from attendance.models import Organisation, PurchaseOrder
from attendance.tenancy import get_owned
from reports.batch import KINDS as DOCUMENT_KINDS
from reports.batch import batch_items, write_zip
from reports.period import Period


@dataclass
class Outcome:
    content: bytes
    name: str
    mimetype: str


def documents_zip(
    session: Session, org: Organisation, params: dict, progress: Callable[[int, int], None]
) -> Outcome:
    """A BDC's certificates, attestations and sign-in sheets for a period, as one zip."""
    period = Period.parse(params["first"], params.get("last"))
    order = get_owned(session, PurchaseOrder, params["purchase_order_id"], org, "bon de commande")
    items = batch_items(session, org, order.id, period, params.get("kinds", DOCUMENT_KINDS))
    done = [0]
    progress(0, len(items))

    def one_more(_count: int) -> None:
        done[0] += 1
        progress(done[0], len(items))

    buffer = io.BytesIO()
    write_zip(items, buffer, one_more)
    return Outcome(
        buffer.getvalue(), f"documents_{order.number}_{period.slug}.zip", "application/zip"
    )


KINDS: dict[str, Callable[..., Outcome]] = {"documents_zip": documents_zip}
