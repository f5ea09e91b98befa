"""stage exit checklists (issue 13): criteria per stage, their state per project, the
history of ticks and of the criteria, and the criteria left unticked by a stage move
(docs/checklists.md)

Revision ID: c537d269d48c
Revises: b3d5f7a9c1e2
Create Date: 2026-12-01 13:31:32.100953

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c537d269d48c'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), server_default='', nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_stage_criteria_stage_id_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_criteria'))
    )
    with op.batch_alter_table('stage_criteria', schema=None) as batch_op:
        batch_op.create_index('ix_stage_criteria_stage', ['stage_id', 'position'], unique=False)

    op.create_table('criterion_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('ticked', sa.Boolean(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_criterion_ticks_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['stage_criteria.id'], name=op.f('fk_criterion_ticks_criterion_id_stage_criteria')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_criterion_ticks_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion_ticks'))
    )
    with op.batch_alter_table('criterion_ticks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criterion_ticks_criterion_id'), ['criterion_id'], unique=False)
        batch_op.create_index('ix_criterion_ticks_project', ['project_id', 'at'], unique=False)

    op.create_table('project_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('ticked', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_project_criteria_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['stage_criteria.id'], name=op.f('fk_project_criteria_criterion_id_stage_criteria')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_criteria_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_criteria')),
    sa.UniqueConstraint('project_id', 'criterion_id', name='uq_project_criteria_project_criterion')
    )
    with op.batch_alter_table('project_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_criteria_criterion_id'), ['criterion_id'], unique=False)

    op.create_table('stage_criterion_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('added', 'renamed', 'moved', 'retired', 'restored')", name=op.f('ck_stage_criterion_changes_action_known')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_stage_criterion_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['criterion_id'], ['stage_criteria.id'], name=op.f('fk_stage_criterion_changes_criterion_id_stage_criteria')),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_stage_criterion_changes_stage_id_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_criterion_changes'))
    )
    with op.batch_alter_table('stage_criterion_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_criterion_changes_criterion', ['criterion_id', 'changed_at'], unique=False)

    op.create_table('stage_move_unticked_criteria',
    sa.Column('move_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['stage_criteria.id'], name=op.f('fk_stage_move_unticked_criteria_criterion_id_stage_criteria')),
    sa.ForeignKeyConstraint(['move_id'], ['stage_moves.id'], name=op.f('fk_stage_move_unticked_criteria_move_id_stage_moves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('move_id', 'criterion_id', name=op.f('pk_stage_move_unticked_criteria'))
    )
    with op.batch_alter_table('stage_move_unticked_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_move_unticked_criteria_criterion_id'), ['criterion_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stage_move_unticked_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_move_unticked_criteria_criterion_id'))

    op.drop_table('stage_move_unticked_criteria')
    with op.batch_alter_table('stage_criterion_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_criterion_changes_criterion')

    op.drop_table('stage_criterion_changes')
    with op.batch_alter_table('project_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_criteria_criterion_id'))

    op.drop_table('project_criteria')
    with op.batch_alter_table('criterion_ticks', schema=None) as batch_op:
        batch_op.drop_index('ix_criterion_ticks_project')
        batch_op.drop_index(batch_op.f('ix_criterion_ticks_criterion_id'))

    op.drop_table('criterion_ticks')
    with op.batch_alter_table('stage_criteria', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_criteria_stage')

    op.drop_table('stage_criteria')
