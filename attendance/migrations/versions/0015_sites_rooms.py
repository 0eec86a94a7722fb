"""sites and rooms: where slots happen, with a capacity

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

The planning books rooms: each organisation's sites and their rooms (with a capacity), and
the room a slot is in. ``slot.site`` stays, filled from the room's site.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_site_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    )
    op.create_index(op.f('ix_site_organisation_id'), 'site', ['organisation_id'])
    op.create_table(
        'room',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_room_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_room_site_id_site')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
    )
    op.create_index(op.f('ix_room_organisation_id'), 'room', ['organisation_id'])
    op.create_index(op.f('ix_room_site_id'), 'room', ['site_id'])
    with op.batch_alter_table('slot') as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_slot_room_id_room'), 'room', ['room_id'], ['id'])
        batch_op.create_index(op.f('ix_slot_room_id'), ['room_id'])


def downgrade():
    with op.batch_alter_table('slot') as batch_op:
        batch_op.drop_index(op.f('ix_slot_room_id'))
        batch_op.drop_constraint(op.f('fk_slot_room_id_room'), type_='foreignkey')
        batch_op.drop_column('room_id')
    op.drop_table('room')
    op.drop_table('site')
