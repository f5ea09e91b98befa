"""managers review: an index of the submissions by date, stage moves' left_at

The review's entries, the report's ideas and the lead times look for the stage moves from no
stage (submissions) by date: a partial index on them. Each stage move gets ``left_at``, the
instant of the project's next move (derived, set once by stage_history.record_stage_move),
backfilled here and indexed so the review reads a period's stays with a range scan
(docs/performance.md, Managers' review).

Revision ID: a7d3e5f1c2b4
Revises: 963580acc171
Create Date: 2026-12-01 10:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3e5f1c2b4'
down_revision = '963580acc171'
branch_labels = None
depends_on = None


# The next move of the same project, in the order lead(moved_at) over (moved_at, id) uses.
BACKFILL = """
UPDATE stage_moves SET left_at = (
    SELECT following.moved_at FROM stage_moves AS following
    WHERE following.project_id = stage_moves.project_id
      AND (following.moved_at > stage_moves.moved_at
           OR (following.moved_at = stage_moves.moved_at AND following.id > stage_moves.id))
    ORDER BY following.moved_at, following.id
    LIMIT 1)
"""


def upgrade():
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_stage_moves_submitted', ['moved_at', 'project_id'], unique=False,
                              sqlite_where=sa.text('from_stage_id IS NULL'),
                              postgresql_where=sa.text('from_stage_id IS NULL'))
    op.execute(BACKFILL)
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.create_index('ix_stage_moves_left_at',
                              ['left_at', 'to_stage_id', 'project_id', 'moved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_moves_left_at')
        batch_op.drop_index('ix_stage_moves_submitted',
                            sqlite_where=sa.text('from_stage_id IS NULL'),
                            postgresql_where=sa.text('from_stage_id IS NULL'))
        batch_op.drop_column('left_at')
