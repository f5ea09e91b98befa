"""Reference data: support stages, themes (filières), legal forms, communes, active staff.

The one place that reads them (every feature asks here), and the defaults seeded on first run
and by the demo; editable by managers later. Names are the pole's own French vocabulary
(data, not interface strings). A shared primitive: it imports only the models and the rules.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import LegalForm, Project, Stage, Theme, User
from .permissions import active_staff

DEFAULT_STAGES: list[tuple[str, str]] = [
    ("Accueil", "Idée déposée, à qualifier."),
    ("Émergence", "Besoin, collectif et premiers partenaires clarifiés."),
    ("Étude de faisabilité", "Modèle économique, forme juridique, plan de financement."),
    ("Lancement", "Structure créée, premiers financements et première activité."),
    ("Développement", "Consolidation, premiers emplois."),
]

DEFAULT_THEMES: list[str] = [
    "Éco-construction",
    "Restauration bio hors domicile",
    "Alimentation et circuits courts",
    "Services à la personne",
    "Hébergement et accueil de groupe",
    "Culture",
    "Mobilité",
    "Réemploi et économie circulaire",
    "Énergie",
    "Insertion par l'activité économique",
    "Tourisme",
    "Numérique",
    "Agriculture",
    "Éducation populaire",
    "Santé et solidarités",
    "Autre",
]

DEFAULT_LEGAL_FORMS: list[str] = [
    "Association loi 1901",
    "SCOP",
    "SCIC",
    "Coopérative (autre)",
    "CAE (entrepreneur salarié)",
    "Entreprise commerciale ESUS",
    "Mutuelle",
    "Fondation / fonds de dotation",
    "Pas encore décidé",
]

# Communes of the Pays de Redon et de Vilaine, offered as suggestions.
TERRITORY_COMMUNES: list[str] = [
    "Redon", "Allaire", "Bains-sur-Oust", "Guémené-Penfao", "Saint-Nicolas-de-Redon", "Pipriac",
    "Guipry-Messac", "La Gacilly", "Malansac", "Peillac", "Rieux", "Fégréac", "Avessac",
    "Sixt-sur-Aff", "Saint-Perreux", "Sainte-Marie", "Renac", "Langon", "Plessé",
    "Saint-Jean-la-Poterie", "Carentoir", "Saint-Vincent-sur-Oust", "Béganne", "Théhillac",
]


def seed_reference_data(session: Session) -> bool:
    """Insert the default stages, themes and legal forms into empty tables.

    Each list is only seeded when its table is empty, so a pole's own settings are never
    overwritten. Returns True when anything was added. Flushes, does not commit.
    """
    added = False
    if not session.scalar(select(func.count()).select_from(Stage)):
        session.add_all(
            Stage(name=name, description=description, position=index)
            for index, (name, description) in enumerate(DEFAULT_STAGES, start=1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(Theme)):
        session.add_all(
            Theme(name=name, position=index) for index, name in enumerate(DEFAULT_THEMES, 1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(LegalForm)):
        session.add_all(
            LegalForm(name=name, position=index)
            for index, name in enumerate(DEFAULT_LEGAL_FORMS, 1)
        )
        added = True
    if added:
        session.flush()
    return added


# Reading what is in use.

def active_stages() -> list[Stage]:
    """The board's columns, in order."""
    return list(db.session.scalars(select(Stage).where(Stage.active).order_by(Stage.position)))


def first_stage() -> Stage | None:
    """Where a submitted idea enters the pipeline."""
    return db.session.scalar(
        select(Stage).where(Stage.active).order_by(Stage.position).limit(1)
    )


def early_stage_ids() -> set[int]:
    """The first two active stages: where holders may still edit their description."""
    return {stage.id for stage in active_stages()[:2]}


def themes() -> list[Theme]:
    """Active themes (filières), in the pole's order."""
    return list(db.session.scalars(select(Theme).where(Theme.active).order_by(Theme.position)))


def legal_forms() -> list[LegalForm]:
    """Active envisaged legal forms, in the pole's order."""
    return list(
        db.session.scalars(select(LegalForm).where(LegalForm.active).order_by(LegalForm.position))
    )


def commune_suggestions() -> list[str]:
    """The territory's communes plus every commune already used, sorted the French way."""
    used = db.session.scalars(select(Project.commune).where(Project.commune != "").distinct())
    names = set(TERRITORY_COMMUNES) | {name for name in used if name}
    return sorted(names, key=lambda n: n.casefold().replace("é", "e").replace("è", "e"))


def staff_members() -> list[User]:
    """Active advisors and managers (who may advise a project, be given a step, hear of a
    new idea), by name."""
    return list(db.session.scalars(select(User).where(active_staff()).order_by(User.name, User.id)))
