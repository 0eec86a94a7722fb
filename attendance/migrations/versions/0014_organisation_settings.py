"""organisation settings: payment terms and invoice mentions of each organisation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

The payment terms printed on invoices were one constant for every organisation; each now
writes its own (the former text is the default), with free mentions beside them.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PAYMENT_TERMS_FR = (
    "Paiement par virement à 30 jours à compter de la réception de la facture (délai global "
    "de paiement, art. R2192-10 du code de la commande publique). Tout retard ouvre droit à "
    "des intérêts moratoires et à l'indemnité forfaitaire de 40 € pour frais de recouvrement "
    "(art. D2192-35)."
)


def upgrade():
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(
            sa.Column('payment_terms', sa.Text(), nullable=False, server_default=PAYMENT_TERMS_FR)
        )
        batch_op.add_column(
            sa.Column('invoice_mentions', sa.Text(), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_column('invoice_mentions')
        batch_op.drop_column('payment_terms')
