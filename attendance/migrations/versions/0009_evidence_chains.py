"""evidence chains: one hash chain per slot besides the organisation's own

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30

Sign-ins of different rooms no longer wait on one organisation-wide chain lock (issue 3,
benchmark). Existing entries and heads become the "organisation" chain, unchanged: their
hashes stay valid (the chain name enters the hash only for the new slot chains).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence_entry', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('chain', sa.String(length=40), nullable=False, server_default='organisation')
        )
        batch_op.drop_constraint('uq_evidence_entry_organisation_id_seq', type_='unique')
        batch_op.create_unique_constraint(
            'uq_evidence_entry_organisation_id_chain_seq', ['organisation_id', 'chain', 'seq']
        )
    with op.batch_alter_table('evidence_head', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('chain', sa.String(length=40), nullable=False, server_default='organisation')
        )
        batch_op.drop_constraint('pk_evidence_head', type_='primary')
        batch_op.create_primary_key('pk_evidence_head', ['organisation_id', 'chain'])


def downgrade():
    # Only possible while every entry is still in the organisation chain.
    with op.batch_alter_table('evidence_head', schema=None) as batch_op:
        batch_op.drop_constraint('pk_evidence_head', type_='primary')
        batch_op.create_primary_key('pk_evidence_head', ['organisation_id'])
        batch_op.drop_column('chain')
    with op.batch_alter_table('evidence_entry', schema=None) as batch_op:
        batch_op.drop_constraint('uq_evidence_entry_organisation_id_chain_seq', type_='unique')
        batch_op.create_unique_constraint(
            'uq_evidence_entry_organisation_id_seq', ['organisation_id', 'seq']
        )
        batch_op.drop_column('chain')
