"""stage settings (issue 13, part A): stages carry a version; stage_setting_changes keeps
who changed which stage, when, and what it became (append-only)

Revision ID: b3d5f7a9c1e2
Revises: 4c2e8f1a7b39
Create Date: 2026-12-01 13:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = '4c2e8f1a7b39'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                      nullable=False))
    op.create_table('stage_setting_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('changed_fields', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('wip_limit', sa.Integer(), nullable=True),
    sa.Column('stalled_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('created', 'edited', 'moved', 'retired', 'restored')",
                       name=op.f('ck_stage_setting_changes_action_known')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'],
                            name=op.f('fk_stage_setting_changes_changed_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'],
                            name=op.f('fk_stage_setting_changes_stage_id_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_setting_changes'))
    )
    with op.batch_alter_table('stage_setting_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_setting_changes_changed_at'), ['changed_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_stage_setting_changes_stage_id'), ['stage_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('stage_setting_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_setting_changes_stage_id'))
        batch_op.drop_index(batch_op.f('ix_stage_setting_changes_changed_at'))
    op.drop_table('stage_setting_changes')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_column('version')
