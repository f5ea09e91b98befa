"""outgoing mail: secret rows (a live link) are deleted once sent

Invitation and password mails now go through the outbox like notifications; the row of one
that holds a link is deleted once the mail has left.

Revision ID: 5d0e7c1a9b42
Revises: 891e3336be27
Create Date: 2026-11-30 14:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d0e7c1a9b42'
down_revision = '891e3336be27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('secret')
