"""used form tokens: a creating form is accepted once

Revision ID: c3f1a2b4d5e6
Revises: 7e1a5268d490
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'c3f1a2b4d5e6'
down_revision = '7e1a5268d490'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'used_form_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('form', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('object_kind', sa.String(length=32), nullable=True),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_used_form_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_used_form_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_used_form_tokens_token_hash')),
    )
    with op.batch_alter_table('used_form_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_used_form_tokens_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('used_form_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_used_form_tokens_created_at')
    op.drop_table('used_form_tokens')
