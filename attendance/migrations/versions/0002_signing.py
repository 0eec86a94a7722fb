"""signing: keys, phones, invitations, kiosk credentials, revisions, evidence log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Tables of the sign-in flows (issue 3); the emargement table itself is unchanged.

"""
from alembic import op
import sqlalchemy as sa

import attendance.models.types


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signing_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=40), nullable=False),
    sa.Column('alg', sa.String(length=10), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('created_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_signing_key_kid'))
    )
    op.create_table('evidence_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_evidence_entry_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_entry')),
    sa.UniqueConstraint('organisation_id', 'seq', name=op.f('uq_evidence_entry_organisation_id_seq'))
    )
    with op.batch_alter_table('evidence_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_entry_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('evidence_head',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_evidence_head_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_evidence_head'))
    )
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_invitation_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_invitation_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('jti', name=op.f('uq_invitation_jti'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('kiosk_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=True),
    sa.Column('card_nonce', sa.String(length=64), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_kiosk_credential_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_kiosk_credential_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_credential')),
    sa.UniqueConstraint('trainee_id', name=op.f('uq_kiosk_credential_trainee_id'))
    )
    with op.batch_alter_table('kiosk_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_credential_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=64), nullable=False),
    sa.Column('phone_id', sa.String(length=64), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('bound_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', attendance.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_device_invitation_id_invitation')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_device_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_device_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device')),
    sa.UniqueConstraint('public_id', name=op.f('uq_device_public_id'))
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_phone_id'), ['phone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('emargement_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('emargement_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', attendance.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('is_correction', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['app_user.id'], name=op.f('fk_emargement_revision_changed_by_id_app_user')),
    sa.ForeignKeyConstraint(['emargement_id'], ['emargement.id'], name=op.f('fk_emargement_revision_emargement_id_emargement')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_emargement_revision_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emargement_revision'))
    )
    with op.batch_alter_table('emargement_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emargement_revision_emargement_id'), ['emargement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emargement_revision_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('emargement_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emargement_revision_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_emargement_revision_emargement_id'))

    op.drop_table('emargement_revision')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_device_phone_id'))
        batch_op.drop_index(batch_op.f('ix_device_organisation_id'))

    op.drop_table('device')
    with op.batch_alter_table('kiosk_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_credential_organisation_id'))

    op.drop_table('kiosk_credential')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))

    op.drop_table('invitation')
    op.drop_table('evidence_head')
    with op.batch_alter_table('evidence_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_entry_organisation_id'))

    op.drop_table('evidence_entry')
    op.drop_table('signing_key')
