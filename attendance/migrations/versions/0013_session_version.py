"""session version: staff sessions that end on the server

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

A staff session is a signed cookie, which the server cannot take back. Each user carries a
session version, copied into the cookie at login and compared on every request; logging
out and changing the password raise it, so every cookie issued before is worth nothing.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user') as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('app_user') as batch_op:
        batch_op.drop_column('session_version')
