"""reference_list_changes may record 'deleted' (a committee criterion never scored)

The committees' own criteria page is gone: /admin/lists/criteria is the only editor, and it
carries over "delete a criterion never used to score a project", recorded like every other
change of the lists.

Revision ID: c7d2e9f4a1b6
Revises: b5e1d3c7a9f2
Create Date: 2026-12-01 14:40:00
"""
from alembic import op

revision = 'c7d2e9f4a1b6'
down_revision = 'b5e1d3c7a9f2'  # the current head: it alters that revision's table
branch_labels = None
depends_on = None

OLD = "change IN ('added', 'renamed', 'moved', 'retired', 'restored', 'imported')"
NEW = "change IN ('added', 'renamed', 'moved', 'retired', 'restored', 'imported', 'deleted')"


def _check(condition: str) -> None:
    with op.batch_alter_table('reference_list_changes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reference_list_changes_change_known'),
                                 type_='check')
        batch_op.create_check_constraint('change_known', condition)


def upgrade():
    _check(NEW)


def downgrade():
    # The history is append-only: a 'deleted' row cannot be dropped without losing who
    # deleted what, so it is kept as 'retired' (the nearest older word).
    op.execute("UPDATE reference_list_changes SET change = 'retired' WHERE change = 'deleted'")
    _check(OLD)
