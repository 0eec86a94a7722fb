"""The migrations build exactly the schema the models describe, on each database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from attendance.extensions import db
from attendance.models import Dispositif


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, db.metadata) == []


def test_competences_plus_limits_are_seeded_as_data(app):
    rules = db.session.scalars(db.select(Dispositif).filter_by(code="COMPETENCES_PLUS")).one()
    assert rules.max_pathway_minutes == 200 * 60  # R1
    assert rules.max_company_minutes == 70 * 60  # R2
    assert rules.autoformation_cap_percent == 20  # R3
    assert rules.eformation_autoformation_cap_percent == 50  # R3 e-formation
    assert rules.hybrid_distance_cap_percent == 50  # R4
    assert rules.max_group_size == 20  # R7
