"""managers review: stage move indexes that cover the conversion's reads

The review's conversion reads the moves of a period (moved_at, project_id, to_stage_id) and,
for each, the project's later moves (project_id, moved_at, to_stage_id). Both indexes now
carry the stage too, so SQLite and PostgreSQL answer from the index alone instead of
reading each row (docs/performance.md, Managers' review).

Revision ID: 4c2e8f1a7b39
Revises: 9bfb8c4aa127
Create Date: 2026-12-01 11:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c2e8f1a7b39'
down_revision = '9bfb8c4aa127'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_moves_moved_at')
        batch_op.drop_index('ix_stage_moves_project_moved_at')
        batch_op.create_index('ix_stage_moves_moved_at',
                              ['moved_at', 'project_id', 'to_stage_id'], unique=False)
        batch_op.create_index('ix_stage_moves_project_moved_at',
                              ['project_id', 'moved_at', 'to_stage_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_moves_project_moved_at')
        batch_op.drop_index('ix_stage_moves_moved_at')
        batch_op.create_index('ix_stage_moves_project_moved_at', ['project_id', 'moved_at'],
                              unique=False)
        batch_op.create_index('ix_stage_moves_moved_at', ['moved_at'], unique=False)
