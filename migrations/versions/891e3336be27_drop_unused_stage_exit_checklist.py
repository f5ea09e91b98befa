"""drop unused stage exit checklist

Stage.exit_checklist was never read nor written by the product; settings may bring it back.

Revision ID: 891e3336be27
Revises: 7e4996aa5a2e
Create Date: 2026-11-30 13:47:58.839362

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '891e3336be27'
down_revision = '7e4996aa5a2e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_column('exit_checklist')


def downgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exit_checklist', sa.TEXT(), nullable=True))
