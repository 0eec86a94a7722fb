"""Corrections of realised hours (attendance/hours)."""

from datetime import date

from attendance import evidence
from attendance.extensions import db
from attendance.models import Correction
from tests.factories.images import tiny_png


def gen_correction(trainee, composante, day: date, minutes: int, hour_class="centre", **fields):
    """A validated correction of ``trainee``'s ``hour_class`` hours on ``day`` to ``minutes``,
    with its scanned paper sheet attached (R12); logged as ``create_correction`` does."""
    fields.setdefault("scope", "day")
    fields.setdefault("validated", True)
    fields.setdefault("reason", "Feuille papier signée")
    fields.setdefault("attachment", tiny_png())
    fields.setdefault("attachment_type", "image/png")
    row = Correction(
        organisation_id=trainee.organisation_id,
        trainee_id=trainee.id,
        composante_id=composante.id,
        day=day,
        hour_class=hour_class,
        minutes=minutes,
        **fields,
    )
    db.session.add(row)
    evidence.log_correction(db.session, row, fields.get("created_by_id"))
    return row
