"""jobs envisaged with two decimals

Full-time equivalents are written with two decimals (0,75 ETP): "2,25" was stored as 2.2.
Existing values (one decimal) fit unchanged.

Revision ID: e2b7c4d91a03
Revises: c3f1a2b4d5e6
Create Date: 2026-11-30 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b7c4d91a03'
down_revision = 'c3f1a2b4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('jobs_envisaged', existing_type=sa.Numeric(6, 1),
                              type_=sa.Numeric(6, 2), existing_nullable=True)


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('jobs_envisaged', existing_type=sa.Numeric(6, 2),
                              type_=sa.Numeric(6, 1), existing_nullable=True)
