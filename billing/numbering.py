"""Invoice numbers with no gap and no duplicate, per organisation, series and year.

French invoicing law (CGI art. 242 nonies A) wants a continuous chronological series.
A number is taken by bumping the ``invoice_counter`` row of (organisation, year, series) in
the same transaction that stores the invoice:

* PostgreSQL: ``UPDATE … RETURNING`` locks the row; a concurrent issuer waits, then reads
  the committed value (READ COMMITTED re-evaluates the row), so two transactions never
  get the same number; a rolled-back transaction gives its number back.
* SQLite: one writer at a time; a transaction that read before another committed fails
  with « database is locked » and is retried whole (``run_with_retries``).

The unique constraints on ``invoice`` (number; series, year, sequence) are the last guard.
"""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from attendance.models import InvoiceCounter
from attendance.sql import upsert

SERIES = {"invoice": "FA", "credit_note": "AV"}
RETRY_ATTEMPTS = 20
T = TypeVar("T")


def format_number(series: str, year: int, sequence: int) -> str:
    """« FA-2026-0001 »: the series, the year, then the sequence on four digits (more when
    an organisation issues more than 9 999 in a year)."""
    return f"{series}-{year}-{sequence:04d}"


def take_number(session: Session, organisation_id: int, series: str, year: int) -> int:
    """The next sequence of the series, held by this transaction until it ends."""
    values = {"organisation_id": organisation_id, "year": year, "series": series, "last_number": 0}
    session.execute(
        upsert(
            session, InvoiceCounter, values, index_elements=["organisation_id", "year", "series"]
        )
    )
    return session.execute(
        update(InvoiceCounter)
        .where(
            InvoiceCounter.organisation_id == organisation_id,
            InvoiceCounter.year == year,
            InvoiceCounter.series == series,
        )
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _retriable(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        return True  # a concurrent issuer won a unique key: re-run, the checks will say why
    text = str(error.orig).lower() if getattr(error, "orig", None) else str(error).lower()
    return "locked" in text or "deadlock" in text or "could not serialize" in text


def run_with_retries(session: Session, operation: Callable[[], T]) -> T:
    """Run ``operation`` and commit; on a write conflict, roll back and run it again.

    Each attempt starts a fresh transaction, so nothing of a failed attempt survives (the
    number it took is given back). Domain errors are not retried: they roll back and
    propagate.
    """
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            result = operation()
            session.commit()
            return result
        except (OperationalError, IntegrityError) as error:
            session.rollback()
            if attempt == RETRY_ATTEMPTS or not _retriable(error):
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)
        except BaseException:
            session.rollback()  # a refusal leaves nothing behind, not even a number
            raise
    raise AssertionError("unreachable")
