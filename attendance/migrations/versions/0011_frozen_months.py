"""frozen months: a validated month's billing figures

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

R11: once validated, a month's figures may not move. Validation stores the month's billing
figures (quantities per composante, unit prices, the cap allocation carried to the next
month) on the month row; billing reads them instead of recomputing from live data.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('month_period') as batch_op:
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('month_period') as batch_op:
        batch_op.drop_column('figures')
