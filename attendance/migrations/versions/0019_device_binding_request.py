"""device binding requests: a first-time phone bound in the room by the trainer's approval

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

A trainee whose phone is not bound picks their name from the slot's list; the request waits
for the trainer's approval on the roster, which binds the phone as an invitation does.

"""
from alembic import op
import sqlalchemy as sa

import attendance.models.types


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_binding_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_id', sa.String(length=64), nullable=False),
    sa.Column('qr_jti', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_device_binding_request_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_binding_request_device_id_device')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_device_binding_request_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_device_binding_request_slot_id_slot')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_device_binding_request_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_binding_request')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_device_binding_request_secret_hash'))
    )
    with op.batch_alter_table('device_binding_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_binding_request_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_binding_request_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_binding_request_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_binding_request_trainee_id'), ['trainee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('device_binding_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_binding_request_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_device_binding_request_slot_id'))
        batch_op.drop_index(batch_op.f('ix_device_binding_request_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_device_binding_request_device_id'))
    op.drop_table('device_binding_request')
