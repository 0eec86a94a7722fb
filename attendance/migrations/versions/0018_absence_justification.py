"""absence justification: justified or not, a reason from the list, a supporting document

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

One row per absence that staff or the trainer judged; the document (PDF, PNG or JPEG,
checked by content) is kept in the database like a correction's paper sheet.

"""
from alembic import op
import sqlalchemy as sa

import attendance.models.types


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'absence_justification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('emargement_id', sa.Integer(), nullable=False),
        sa.Column('justification', sa.String(length=12), nullable=False),
        sa.Column('reason_code', sa.String(length=30), nullable=True),
        sa.Column('document', sa.LargeBinary(), nullable=True),
        sa.Column('document_type', sa.String(length=60), nullable=True),
        sa.Column('document_sha256', sa.String(length=64), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', attendance.models.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_absence_justification_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['emargement_id'], ['emargement.id'],
                                name=op.f('fk_absence_justification_emargement_id_emargement')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'],
                                name=op.f('fk_absence_justification_updated_by_id_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_absence_justification')),
        sa.UniqueConstraint('emargement_id',
                            name=op.f('uq_absence_justification_emargement_id')),
    )
    op.create_index(op.f('ix_absence_justification_organisation_id'),
                    'absence_justification', ['organisation_id'])


def downgrade():
    op.drop_index(op.f('ix_absence_justification_organisation_id'),
                  table_name='absence_justification')
    op.drop_table('absence_justification')
