"""text documents carry their charset

Text documents now store their encoding in their type ("text/csv; charset=windows-1252"):
those stored before were all UTF-8 (nothing else was accepted).

Revision ID: f4c8a1e2b5d7
Revises: e2b7c4d91a03
Create Date: 2026-11-30 15:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f4c8a1e2b5d7'
down_revision = 'e2b7c4d91a03'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE documents SET content_type = content_type || '; charset=utf-8' "
               "WHERE content_type IN ('text/plain', 'text/csv')")


def downgrade():
    op.execute("UPDATE documents SET content_type = 'text/plain' "
               "WHERE content_type LIKE 'text/plain; charset=%'")
    op.execute("UPDATE documents SET content_type = 'text/csv' "
               "WHERE content_type LIKE 'text/csv; charset=%'")
