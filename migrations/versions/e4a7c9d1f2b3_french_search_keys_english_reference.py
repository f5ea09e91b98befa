"""French search keys (users.name_key, projects.search_text and commune_key) and English
names of the reference data; "Pas encore décidé" is no longer a legal form

Revision ID: e4a7c9d1f2b3
Revises: f4c8a1e2b5d7
Create Date: 2026-11-30 15:55:00

Existing rows get their keys (``incubator.text.search_key``, the function the models use)
and, where a stage, theme or legal form still bears its default French name, its English
name. Projects whose legal form was "Pas encore décidé" get none (the form's empty choice
means the same); the row is retired, not deleted.
"""
from alembic import op
import sqlalchemy as sa

from incubator.text import search_key


# revision identifiers, used by Alembic.
revision = 'e4a7c9d1f2b3'
down_revision = 'f4c8a1e2b5d7'
branch_labels = None
depends_on = None

# The defaults as seeded (French → English), frozen here: later edits of the seed list
# must not change what this revision did.
STAGES = {
    "Accueil": ("Welcome", "Idea submitted, to be qualified."),
    "Émergence": ("Emergence", "Need, collective and first partners clarified."),
    "Étude de faisabilité": ("Feasibility study", "Economic model, legal form, funding plan."),
    "Lancement": ("Launch", "Structure created, first funding and first activity."),
    "Développement": ("Development", "Consolidation, first jobs."),
}
THEMES = {
    "Éco-construction": "Eco-construction",
    "Restauration bio hors domicile": "Organic catering",
    "Alimentation et circuits courts": "Food and short supply chains",
    "Services à la personne": "Personal care services",
    "Hébergement et accueil de groupe": "Group accommodation and hosting",
    "Culture": "Culture",
    "Mobilité": "Mobility",
    "Réemploi et économie circulaire": "Reuse and circular economy",
    "Énergie": "Energy",
    "Insertion par l'activité économique": "Work integration",
    "Tourisme": "Tourism",
    "Numérique": "Digital",
    "Agriculture": "Agriculture",
    "Éducation populaire": "Popular education",
    "Santé et solidarités": "Health and solidarity",
    "Autre": "Other",
}
LEGAL_FORMS = {
    "Association loi 1901": "Non-profit association (1901 law)",
    "SCOP": "SCOP (workers' cooperative)",
    "SCIC": "SCIC (multi-stakeholder cooperative)",
    "Coopérative (autre)": "Cooperative (other)",
    "CAE (entrepreneur salarié)": "CAE (salaried entrepreneur)",
    "Entreprise commerciale ESUS": "ESUS-certified business",
    "Mutuelle": "Mutual society",
    "Fondation / fonds de dotation": "Foundation / endowment fund",
}
UNDECIDED = "Pas encore décidé"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=120), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_users_name_key'), ['name_key'], unique=False)
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('commune_key', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_projects_commune_key'), ['commune_key'], unique=False)
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_en', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), server_default='', nullable=False))
    with op.batch_alter_table('legal_forms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), server_default='', nullable=False))

    bind = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_key', sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.name)).all()
    if rows:
        bind.execute(sa.update(users).where(users.c.id == sa.bindparam('uid'))
                     .values(name_key=sa.bindparam('key')),
                     [{'uid': i, 'key': search_key(name)} for i, name in rows])
    projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('title', sa.String),
                        sa.column('pitch', sa.Text), sa.column('commune', sa.String),
                        sa.column('search_text', sa.Text), sa.column('commune_key', sa.String),
                        sa.column('legal_form_id', sa.Integer))
    rows = bind.execute(sa.select(projects.c.id, projects.c.title, projects.c.pitch,
                                  projects.c.commune)).all()
    if rows:
        bind.execute(
            sa.update(projects).where(projects.c.id == sa.bindparam('pid'))
            .values(search_text=sa.bindparam('text'), commune_key=sa.bindparam('commune_k')),
            [{'pid': i, 'commune_k': search_key(commune),
              'text': "\n".join(search_key(t) for t in (title, pitch, commune))}
             for i, title, pitch, commune in rows])

    stages = sa.table('stages', sa.column('name', sa.String), sa.column('name_en', sa.String),
                      sa.column('description_en', sa.Text))
    for name, (name_en, description_en) in STAGES.items():
        bind.execute(sa.update(stages).where(stages.c.name == name)
                     .values(name_en=name_en, description_en=description_en))
    themes = sa.table('themes', sa.column('name', sa.String), sa.column('name_en', sa.String))
    for name, name_en in THEMES.items():
        bind.execute(sa.update(themes).where(themes.c.name == name).values(name_en=name_en))
    forms = sa.table('legal_forms', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_en', sa.String), sa.column('active', sa.Boolean))
    for name, name_en in LEGAL_FORMS.items():
        bind.execute(sa.update(forms).where(forms.c.name == name).values(name_en=name_en))
    undecided = sa.select(forms.c.id).where(forms.c.name == UNDECIDED).scalar_subquery()
    bind.execute(sa.update(projects).where(projects.c.legal_form_id == undecided)
                 .values(legal_form_id=None))
    bind.execute(sa.update(forms).where(forms.c.name == UNDECIDED).values(active=False))


def downgrade():
    with op.batch_alter_table('legal_forms', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_column('description_en')
        batch_op.drop_column('name_en')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_commune_key'))
        batch_op.drop_column('commune_key')
        batch_op.drop_column('search_text')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_name_key'))
        batch_op.drop_column('name_key')
