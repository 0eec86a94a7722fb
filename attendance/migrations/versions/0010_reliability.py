"""reliability: shared rate-limit counters

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Abuse limits (login, invitations, sign-ins) count in the database so that every app server
behind the load balancer shares one quota.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counter',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter'))
    )


def downgrade():
    op.drop_table('rate_limit_counter')
