"""reference lists (issue 13, part C): note kinds become a table, list items carry a
version, every change of a list is recorded; the IAE theme gets its typographic apostrophe

Revision ID: b5e1d3c7a9f2
Revises: c537d269d48c
Create Date: 2026-12-01 13:45:00

The five note kinds of the former CHECK constraint become rows of ``note_kinds`` with the
same codes (notes keep what they store), and ``notes.kind`` now points at them. The theme
« Insertion par l'activité économique » seeded with a straight apostrophe is renamed with
the typographic one, unless a theme already bears that name.
"""
from alembic import op
import sqlalchemy as sa

from incubator.text import search_key


# revision identifiers, used by Alembic.
revision = 'b5e1d3c7a9f2'
down_revision = 'c537d269d48c'
branch_labels = None
depends_on = None

# Frozen here: later edits of the seed list must not change what this revision did.
NOTE_KINDS = [
    ("meeting", "Rendez-vous", "Meeting"),
    ("call", "Appel téléphonique", "Phone call"),
    ("email", "E-mail", "E-mail"),
    ("visit", "Visite", "Visit"),
    ("other", "Autre", "Other"),
]
IAE_STRAIGHT = "Insertion par l'activité économique"
IAE_TYPOGRAPHIC = "Insertion par l’activité économique"


def upgrade():
    note_kinds = op.create_table('note_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), server_default='', nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_kinds')),
    sa.UniqueConstraint('code', name=op.f('uq_note_kinds_code')),
    sa.UniqueConstraint('name', name=op.f('uq_note_kinds_name'))
    )
    op.bulk_insert(note_kinds, [
        {"code": code, "name": name, "name_en": name_en, "position": index, "active": True,
         "version": 1}
        for index, (code, name, name_en) in enumerate(NOTE_KINDS, 1)])
    op.create_table('reference_list_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list', sa.String(length=12), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.Text(), server_default='', nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("change IN ('added', 'renamed', 'moved', 'retired', 'restored', 'imported')", name=op.f('ck_reference_list_changes_change_known')),
    sa.CheckConstraint("list IN ('themes', 'legal-forms', 'criteria', 'note-kinds', 'communes')", name=op.f('ck_reference_list_changes_list_known')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_reference_list_changes_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_list_changes'))
    )
    with op.batch_alter_table('reference_list_changes', schema=None) as batch_op:
        batch_op.create_index('ix_reference_list_changes_list_at', ['list', 'at'], unique=False)

    for table in ('themes', 'legal_forms', 'committee_criteria'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notes_kind_known'), type_='check')
        batch_op.create_foreign_key(batch_op.f('fk_notes_kind_note_kinds'), 'note_kinds', ['kind'], ['code'])

    themes = sa.table('themes', sa.column('id', sa.Integer), sa.column('name', sa.String))
    bind = op.get_bind()
    taken = bind.execute(sa.select(themes.c.id).where(themes.c.name == IAE_TYPOGRAPHIC)).first()
    if taken is None:
        bind.execute(themes.update().where(themes.c.name == IAE_STRAIGHT)
                     .values(name=IAE_TYPOGRAPHIC))


def downgrade():
    themes = sa.table('themes', sa.column('id', sa.Integer), sa.column('name', sa.String))
    bind = op.get_bind()
    taken = bind.execute(sa.select(themes.c.id).where(themes.c.name == IAE_STRAIGHT)).first()
    if taken is None:
        bind.execute(themes.update().where(themes.c.name == IAE_TYPOGRAPHIC)
                     .values(name=IAE_STRAIGHT))
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notes_kind_note_kinds'), type_='foreignkey')
        batch_op.create_check_constraint(
            'kind_known', "kind IN ('meeting', 'call', 'email', 'visit', 'other')")
    for table in ('committee_criteria', 'legal_forms', 'themes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
    with op.batch_alter_table('reference_list_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_reference_list_changes_list_at')
    op.drop_table('reference_list_changes')
    op.drop_table('note_kinds')
