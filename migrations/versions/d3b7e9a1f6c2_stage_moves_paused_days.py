"""stage moves' paused_days: the days off the board within each ended stay; the report's
revision row

Derived like ``left_at`` and set once with it (stage_history.record_stage_move): the days
(with their fraction) the project spent off the board (paused, or closed and later
reopened) between the move and ``left_at``. The review's time in stage subtracts it instead
of probing the status changes once per stay (docs/performance.md, Issue 15 third pass).
Backfilled here for every ended stay, and added last to ``ix_stage_moves_left_at`` so that
statement still reads the index alone. A ``report`` row in ``revisions``: the revision the
closed years' kept reports are keyed by (report/cache.py).

Revision ID: d3b7e9a1f6c2
Revises: d3e5f7a9c1b2
Create Date: 2026-12-02 06:00:00.000000

"""
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd3b7e9a1f6c2'
down_revision = 'd3e5f7a9c1b2'
branch_labels = None
depends_on = None


# Each time off the board (a change to paused or closed, to the project's next change: the
# review's definition) clipped to the stay [moved_at, left_at]; one still off at left_at
# counts up to it. {days} is the dialect's day difference, {lo}/{hi} its two-argument
# minimum and maximum.
BACKFILL = """
UPDATE stage_moves SET paused_days = (
    SELECT coalesce(sum({days}), 0) FROM (
        SELECT change.changed_at AS since, (
            SELECT min(following.changed_at) FROM status_changes AS following
            WHERE following.project_id = change.project_id
              AND (following.changed_at > change.changed_at
                   OR (following.changed_at = change.changed_at AND following.id > change.id))
        ) AS until
        FROM status_changes AS change
        WHERE change.project_id = stage_moves.project_id
          AND change.to_status IN ('paused', 'closed')
    ) AS off_times
    WHERE off_times.since < stage_moves.left_at
      AND coalesce(off_times.until, stage_moves.left_at) > stage_moves.moved_at)
WHERE left_at IS NOT NULL
"""
OVERLAP_TO = "{lo}(coalesce(off_times.until, stage_moves.left_at), stage_moves.left_at)"
OVERLAP_FROM = "{hi}(off_times.since, stage_moves.moved_at)"


def backfill(dialect: str) -> str:
    """The backfill statement in ``dialect`` ("sqlite" or "postgresql"; tests run it too)."""
    if dialect == "sqlite":
        to, since = OVERLAP_TO.format(lo="min"), OVERLAP_FROM.format(hi="max")
        days = f"julianday({to}) - julianday({since})"
    else:
        to, since = OVERLAP_TO.format(lo="least"), OVERLAP_FROM.format(hi="greatest")
        days = f"extract(epoch from {to} - {since}) / 86400.0"
    return BACKFILL.format(days=days)


def upgrade():
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_days', sa.Float(), nullable=True))
        batch_op.drop_index('ix_stage_moves_left_at')
    op.execute(backfill(op.get_bind().dialect.name))
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.create_index('ix_stage_moves_left_at',
                              ['left_at', 'to_stage_id', 'project_id', 'moved_at', 'paused_days'],
                              unique=False)
    revisions = sa.table('revisions', sa.column('name', sa.String), sa.column('value', sa.BigInteger),
                         sa.column('changed_at', sa.DateTime))
    op.bulk_insert(revisions, [{'name': 'report', 'value': secrets.randbits(63),
                                'changed_at': datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    op.execute("DELETE FROM revisions WHERE name = 'report'")
    with op.batch_alter_table('stage_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_moves_left_at')
        batch_op.drop_column('paused_days')
        batch_op.create_index('ix_stage_moves_left_at',
                              ['left_at', 'to_stage_id', 'project_id', 'moved_at'], unique=False)
