"""projects: an index the board's list of communes in use reads alone (issue 15, the
regional scale: a sequential scan of the projects before)

Revision ID: d3e5f7a9c1b2
Revises: b0a4d7e2c915
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3e5f7a9c1b2'
down_revision = 'b0a4d7e2c915'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_projects_communes', 'projects', ['status', 'commune', 'commune_key'],
                    unique=False)


def downgrade():
    op.drop_index('ix_projects_communes', table_name='projects')
