"""trainee name index: the trainee list in name order at 30,000 trainees

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

The staff list of trainees reads one page of 50 in (last name, first name, id) order
within the organisation; with this index both databases walk the index instead of sorting
every trainee of the organisation on each page.

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_trainee_organisation_name',
        'trainee',
        ['organisation_id', 'last_name', 'first_name', 'id'],
    )


def downgrade():
    op.drop_index('ix_trainee_organisation_name', table_name='trainee')
