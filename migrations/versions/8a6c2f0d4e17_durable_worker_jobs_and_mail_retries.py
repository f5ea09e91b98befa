"""durable work: the jobs table, retries and failures of outgoing mail (issue 15, worker)

Mails and deferred jobs leave the request through tables read by ``flask worker`` (no
thread after the response): a mail gets its next attempt time, the worker's claim and its
failure once out of attempts; ``jobs`` holds the deferred work (e.g. a password reset).

Revision ID: 8a6c2f0d4e17
Revises: 4f7b2d9e6c10
Create Date: 2026-12-01 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a6c2f0d4e17'
down_revision = '4f7b2d9e6c10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    op.create_index('ix_jobs_due', 'jobs', ['failed_at', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
    # Mails already queued are due now; then the column is required like the model's.
    op.execute("UPDATE outgoing_mail SET next_attempt_at = created_at")
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
    op.drop_index('ix_jobs_due', table_name='jobs')
    op.drop_table('jobs')
