"""stage_flow_days: the cumulative flow's daily summary, filled from the history (issue 15)

Revision ID: c8f2a6d4e1b9
Revises: 8a6c2f0d4e17
Create Date: 2026-12-01 23:00:00.000000

"""
import os
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from incubator.stage_flow import history_changes


# revision identifiers, used by Alembic.
revision = 'c8f2a6d4e1b9'
down_revision = '8a6c2f0d4e17'
branch_labels = None
depends_on = None


def _utc(value):
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def upgrade():
    table = op.create_table('stage_flow_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('stage_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('change', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'stage_id', name=op.f('pk_stage_flow_days'))
    )
    # Filled from the history as stage_flow.rebuild() does, in the pole's time zone (its
    # settings, else INCUBATOR_TIMEZONE, else Europe/Paris).
    bind = op.get_bind()
    pole = sa.table('pole_settings', sa.column('time_zone', sa.String))
    zone = bind.execute(sa.select(pole.c.time_zone)).scalar() or os.environ.get(
        'INCUBATOR_TIMEZONE') or 'Europe/Paris'
    projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('status', sa.String),
                        sa.column('closed_at', sa.DateTime))
    moves = sa.table('stage_moves', sa.column('project_id', sa.Integer),
                     sa.column('to_stage_id', sa.Integer), sa.column('moved_at', sa.DateTime),
                     sa.column('left_at', sa.DateTime))
    changes = sa.table('status_changes', sa.column('project_id', sa.Integer),
                       sa.column('id', sa.Integer), sa.column('to_status', sa.String),
                       sa.column('changed_at', sa.DateTime))
    closed_at = {pid: _utc(at) for pid, at in bind.execute(
        sa.select(projects.c.id, projects.c.closed_at)
        .where(projects.c.status == 'closed', projects.c.closed_at.is_not(None)))}
    rows = history_changes(
        ((p, s, _utc(m), _utc(l)) for p, s, m, l in bind.execute(sa.select(moves))),
        ((p, i, s, _utc(c)) for p, i, s, c in bind.execute(sa.select(changes))),
        closed_at, ZoneInfo(zone))
    values = [{'day': day, 'stage_id': stage_id, 'change': change}
              for (day, stage_id), change in sorted(rows.items())]
    for start in range(0, len(values), 5000):
        op.bulk_insert(table, values[start:start + 5000])


def downgrade():
    op.drop_table('stage_flow_days')
