"""one current mentorship per organisation and project

A partial unique index (where ended_on is null): two staff linking the same organisation to
a project at the same moment cannot both succeed (the mentoring service refuses the second
with a message).

Revision ID: 5b0e2c7d9a41
Revises: c928a1a07e0e
Create Date: 2026-11-30 22:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b0e2c7d9a41'
down_revision = 'c928a1a07e0e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('uq_mentorships_current', 'mentorships', ['project_id', 'organisation_id'],
                    unique=True, sqlite_where=sa.text('ended_on IS NULL'),
                    postgresql_where=sa.text('ended_on IS NULL'))


def downgrade():
    op.drop_index('uq_mentorships_current', table_name='mentorships')
