"""Corrections of realised hours (attendance/hours)."""

from datetime import date

from attendance.extensions import db
from attendance.models import Correction


def gen_correction(trainee, composante, day: date, minutes: int, hour_class="centre", **fields):
    """A validated correction of ``trainee``'s ``hour_class`` hours on ``day`` to ``minutes``."""
    fields.setdefault("scope", "day")
    fields.setdefault("validated", True)
    fields.setdefault("reason", "Feuille papier signée")
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
    db.session.flush()
    return row
