"""retention settings, their versions and the purge runs (issue 14, retention)

Revision ID: 4f7b2d9e6c10
Revises: a3e91c7d5b20
Create Date: 2026-12-01 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f7b2d9e6c10'
down_revision = 'a3e91c7d5b20'
branch_labels = None
depends_on = None

KINDS = ('closed_projects', 'drafts', 'connections', 'notifications', 'mails', 'security_log')


def upgrade():
    op.create_table('retention_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    *(sa.Column(f'{kind}_months', sa.Integer(), nullable=False) for kind in KINDS),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_retention_settings_single_row')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_settings'))
    )
    op.create_table('retention_settings_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    *(sa.Column(f'{kind}_months', sa.Integer(), nullable=False) for kind in KINDS),
    sa.Column('changed_fields', sa.String(length=200), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_retention_settings_versions_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_settings_versions'))
    )
    op.create_table('purge_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purge_runs'))
    )


def downgrade():
    op.drop_table('purge_runs')
    op.drop_table('retention_settings_versions')
    op.drop_table('retention_settings')
