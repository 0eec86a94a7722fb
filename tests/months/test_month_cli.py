"""``attendance month sync`` and ``validate`` from the command line."""

from attendance.extensions import db
from attendance.models import MonthDeclaration, MonthPeriod
from tests.factories import month_setting


def test_sync_then_validate_from_the_command_line(runner, app):
    setting = month_setting()
    billing = db.session.scalars(db.select(type(setting.trainer)).filter_by(role="billing")).one()
    result = runner.invoke(args=["month", "sync", "--bdc", "BDC-2026-42", "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    assert (
        "Mars 2026 synchronisé : version 1, 2 stagiaire(s), présentiel 10,33 h ; FAD 0,00 h ; "
        "autoformation 0,00 h ; entreprise 0,00 h." in result.output
    )
    result = runner.invoke(
        args=[
            "month",
            "validate",
            "--bdc",
            "BDC-2026-42",
            "--month",
            "2026-03",
            "--by",
            billing.email,
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(db.select(MonthPeriod.state)).one() == "validated"


def test_validation_refused_from_the_command_line_lists_the_blockers(runner, app):
    setting = month_setting()
    setting.slots[0].validated_at = None
    db.session.commit()
    billing = db.session.scalars(db.select(type(setting.trainer)).filter_by(role="billing")).one()
    runner.invoke(args=["month", "sync", "--bdc", "BDC-2026-42", "--month", "2026-03"])
    result = runner.invoke(
        args=[
            "month",
            "validate",
            "--bdc",
            "BDC-2026-42",
            "--month",
            "2026-03",
            "--by",
            billing.email,
        ]
    )
    assert result.exit_code == 1
    assert "MONTH_HAS_BLOCKERS" in result.output and "non validée" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(MonthDeclaration)) == 1


def test_unknown_bdc_is_a_usage_error(runner, app):
    month_setting()
    result = runner.invoke(args=["month", "sync", "--bdc", "NOPE", "--month", "2026-03"])
    assert result.exit_code == 2 and "introuvable" in result.output
