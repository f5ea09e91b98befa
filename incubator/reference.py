"""Default reference data: support stages, themes (filières) and legal forms.

Seeded on first run and by the demo; editable by managers later. Names are the pole's own
French vocabulary (data, not interface strings).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import LegalForm, Stage, Theme

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
