"""evidence completeness: anchors on months and invoices; records older than their entries

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

``audit verify`` now requires every record that counts hours to have its entry. Two kinds
had none before this revision: correctifs horaires (never logged) and the demo's history
(written straight to the table). For each organisation, one ``records_adopted`` entry in
its own chain states their digests as they stand at upgrade, so they verify from here on;
records an entry already vouches for are not adopted (an edit made behind the log before
the upgrade stays reported).

Validated months' declarations and issued invoices get ``evidence_heads``, the chain heads
they were issued on (``evidence.take_anchor``).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('month_declaration', 'invoice'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('evidence_heads', sa.JSON(), nullable=True))
    _adopt_unlogged_records()


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35): a batch copy of ``invoice`` would trip the
    # foreign keys of its lines.
    for table in ('invoice', 'month_declaration'):
        op.execute(f'ALTER TABLE {table} DROP COLUMN evidence_heads')


def _adopt_unlogged_records():
    """Uses the log's own code (hash, digests, append) on this connection; rows are read as
    plain rows through Core tables naming only the columns the digests use."""
    from sqlalchemy.orm import Session

    from attendance import evidence
    from attendance.evidence.records import vouched
    from attendance.models.types import UTCDateTime

    bind = op.get_bind()
    session = Session(bind=bind)
    emargement = sa.table(
        'emargement',
        *(sa.column(name) for name in (
            'id', 'organisation_id', 'slot_id', 'trainee_id', 'status', 'method',
            'late_minutes', 'early_leave_minutes', 'signature_png', 'token_jti', 'device_id',
            'absence_reason',
        )),
        sa.column('confirmed', sa.Boolean()),
        sa.column('signed_at', UTCDateTime()),
    )
    correction = sa.table(
        'correction',
        *(sa.column(name) for name in (
            'id', 'organisation_id', 'trainee_id', 'composante_id', 'slot_id', 'scope',
            'hour_class', 'minutes', 'reason', 'attachment',
        )),
        sa.column('validated', sa.Boolean()),
        sa.column('day', sa.Date()),
    )
    entry = sa.table(
        'evidence_entry', sa.column('organisation_id'), sa.column('kind'),
        sa.column('payload', sa.JSON()),
    )
    for (org_id,) in bind.execute(sa.text('SELECT id FROM organisation ORDER BY id')):
        logged = {
            key
            for kind, payload in bind.execute(
                sa.select(entry.c.kind, entry.c.payload).where(entry.c.organisation_id == org_id)
            )
            for key, _ in vouched(kind, payload or {})
        }
        records = {
            str(row.id): evidence.record_digest(row)
            for row in bind.execute(
                sa.select(emargement).where(emargement.c.organisation_id == org_id)
            )
            if ('emargement', row.id) not in logged
        }
        corrections = {
            str(row.id): evidence.correction_digest(row)
            for row in bind.execute(
                sa.select(correction).where(correction.c.organisation_id == org_id)
            )
            if ('correction', row.id) not in logged
        }
        if records or corrections:
            evidence.lock_chain(session, org_id)
            evidence.append(
                session,
                org_id,
                'records_adopted',
                {'revision': '0012', 'records': records, 'corrections': corrections},
            )
    session.close()
