"""revisions: the board filter lists' own revision row, ``choices``, bumped by the commits
that write what the lists read (staff, themes, cohorts, mentorships, organisations, a
project's status or commune) but not by a move (issue 15: a move made every worker read the
lists again at its next board)

Revision ID: e7c1a3b5d9f2
Revises: d3b7e9a1f6c2
Create Date: 2026-12-02 07:00:00.000000

"""
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c1a3b5d9f2'
down_revision = 'd3b7e9a1f6c2'
branch_labels = None
depends_on = None


def upgrade():
    revisions = sa.table('revisions', sa.column('name', sa.String), sa.column('value', sa.BigInteger),
                         sa.column('changed_at', sa.DateTime))
    op.execute(revisions.delete().where(revisions.c.name == 'choices'))
    op.bulk_insert(revisions, [{'name': 'choices', 'value': secrets.randbits(63),
                                'changed_at': datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    revisions = sa.table('revisions', sa.column('name', sa.String))
    op.execute(revisions.delete().where(revisions.c.name == 'choices'))
