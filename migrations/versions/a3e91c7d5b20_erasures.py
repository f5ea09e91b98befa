"""erasures: the record of each person erased on request (issue 14, right to erasure)

Revision ID: a3e91c7d5b20
Revises: 3257626793ca
Create Date: 2026-12-01 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3e91c7d5b20'
down_revision = '3257626793ca'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('partner_contact_id', sa.Integer(), nullable=True),
    sa.Column('kept_document_ids', sa.JSON(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=False),
    sa.Column('erased_by_id', sa.Integer(), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.Column('replayed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'user' AND user_id IS NOT NULL) OR (kind = 'contact' AND contact_id IS NOT NULL) OR (kind = 'partner_contact' AND partner_contact_id IS NOT NULL)", name=op.f('ck_erasures_target_named')),
    sa.CheckConstraint("kind IN ('user', 'contact', 'partner_contact')", name=op.f('ck_erasures_kind_known')),
    sa.ForeignKeyConstraint(['erased_by_id'], ['users.id'], name=op.f('fk_erasures_erased_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_erasures_contact_id')),
    sa.UniqueConstraint('partner_contact_id', name=op.f('uq_erasures_partner_contact_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_erasures_user_id'))
    )


def downgrade():
    op.drop_table('erasures')
