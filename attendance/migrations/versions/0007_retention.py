"""retention: reminders, per-organisation delays and retention, co-financed BDC

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Issue 9: the reminder table (unique (kind, slot, recipient): the database, not memory,
stops a double send), reminder delays and retention periods per organisation, the
co-financed flag on the BDC (10 years instead of 6) and the trainee's anonymisation date.

"""
from alembic import op
import sqlalchemy as sa

import attendance.models.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=40), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('claim_id', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_reminder_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_reminder_slot_id_slot')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_reminder_trainee_id_trainee')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_reminder_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    sa.UniqueConstraint('kind', 'slot_id', 'recipient', name=op.f('uq_reminder_kind_slot_id_recipient'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_trainee_id'), ['trainee_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_trainee_delay_minutes', sa.Integer(), server_default='15', nullable=False))
        batch_op.add_column(sa.Column('reminder_trainer_delay_minutes', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), server_default='6', nullable=False))
        batch_op.add_column(sa.Column('retention_cofinanced_years', sa.Integer(), server_default='10', nullable=False))

    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('co_financed', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_column('co_financed')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('retention_cofinanced_years')
        batch_op.drop_column('retention_years')
        batch_op.drop_column('reminder_trainer_delay_minutes')
        batch_op.drop_column('reminder_trainee_delay_minutes')

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_slot_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_organisation_id'))

    op.drop_table('reminder')
