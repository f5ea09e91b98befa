"""revisions: the board's revision row, bumped by every commit that writes what the board
shows (issue 15: the board's whole-columns cache and its ETag)

Revision ID: b0a4d7e2c915
Revises: c8f2a6d4e1b9
Create Date: 2026-12-02 02:00:00.000000

"""
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b0a4d7e2c915'
down_revision = 'c8f2a6d4e1b9'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('revisions',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_revisions'))
    )
    op.bulk_insert(table, [{'name': 'board', 'value': secrets.randbits(63),
                            'changed_at': datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    op.drop_table('revisions')
