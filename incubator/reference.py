"""Reference data: support stages, themes (filières), legal forms, committee criteria,
communes, active staff.

The one place that reads them (every feature asks here), and the defaults seeded on first run
and by the demo; editable by managers later. Names are the pole's own French vocabulary
(data, not interface strings). A shared primitive: it imports only the models and the rules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import CommitteeCriterion, LegalForm, NoteKind, Project, Stage, Theme, User
from .permissions import active_staff, may_have_advised
from .text import one_spelling, sorted_french

# (French name, French description, English name, English description).
DEFAULT_STAGES: list[tuple[str, str, str, str]] = [
    ("Accueil", "Idée déposée, à qualifier.",
     "Welcome", "Idea submitted, to be qualified."),
    ("Émergence", "Besoin, collectif et premiers partenaires clarifiés.",
     "Emergence", "Need, collective and first partners clarified."),
    ("Étude de faisabilité", "Modèle économique, forme juridique, plan de financement.",
     "Feasibility study", "Economic model, legal form, funding plan."),
    ("Lancement", "Structure créée, premiers financements et première activité.",
     "Launch", "Structure created, first funding and first activity."),
    ("Développement", "Consolidation, premiers emplois.",
     "Development", "Consolidation, first jobs."),
]

# (French, English).
DEFAULT_THEMES: list[tuple[str, str]] = [
    ("Éco-construction", "Eco-construction"),
    ("Restauration bio hors domicile", "Organic catering"),
    ("Alimentation et circuits courts", "Food and short supply chains"),
    ("Services à la personne", "Personal care services"),
    ("Hébergement et accueil de groupe", "Group accommodation and hosting"),
    ("Culture", "Culture"),
    ("Mobilité", "Mobility"),
    ("Réemploi et économie circulaire", "Reuse and circular economy"),
    ("Énergie", "Energy"),
    ("Insertion par l’activité économique", "Work integration"),
    ("Tourisme", "Tourism"),
    ("Numérique", "Digital"),
    ("Agriculture", "Agriculture"),
    ("Éducation populaire", "Popular education"),
    ("Santé et solidarités", "Health and solidarity"),
    ("Autre", "Other"),
]

# (French, English). "Not decided yet" is no row: the form's empty choice says it (once).
DEFAULT_LEGAL_FORMS: list[tuple[str, str]] = [
    ("Association loi 1901", "Non-profit association (1901 law)"),
    ("SCOP", "SCOP (workers' cooperative)"),
    ("SCIC", "SCIC (multi-stakeholder cooperative)"),
    ("Coopérative (autre)", "Cooperative (other)"),
    ("CAE (entrepreneur salarié)", "CAE (salaried entrepreneur)"),
    ("Entreprise commerciale ESUS", "ESUS-certified business"),
    ("Mutuelle", "Mutual society"),
    ("Fondation / fonds de dotation", "Foundation / endowment fund"),
]

# The pole's committee criteria (PRODUCT.md, Committee review): (French, English).
DEFAULT_COMMITTEE_CRITERIA: list[tuple[str, str]] = [
    ("Dimension collective", "Collective dimension"),
    ("Utilité sociale", "Social utility"),
    ("Innovation sociale", "Social innovation"),
    ("Ancrage territorial", "Local roots"),
    ("Gouvernance démocratique", "Democratic governance"),
    ("Viabilité économique", "Economic viability"),
]

# Kinds of follow-up notes: (stored code, French, English). Notes store the code.
DEFAULT_NOTE_KINDS: list[tuple[str, str, str]] = [
    ("meeting", "Rendez-vous", "Meeting"),
    ("call", "Appel téléphonique", "Phone call"),
    ("email", "E-mail", "E-mail"),
    ("visit", "Visite", "Visit"),
    ("other", "Autre", "Other"),
]

# Communes of the Pays de Redon et de Vilaine, offered as suggestions.
TERRITORY_COMMUNES: list[str] = [
    "Redon", "Allaire", "Bains-sur-Oust", "Guémené-Penfao", "Saint-Nicolas-de-Redon", "Pipriac",
    "Guipry-Messac", "La Gacilly", "Malansac", "Peillac", "Rieux", "Fégréac", "Avessac",
    "Sixt-sur-Aff", "Saint-Perreux", "Sainte-Marie", "Renac", "Langon", "Plessé",
    "Saint-Jean-la-Poterie", "Carentoir", "Saint-Vincent-sur-Oust", "Béganne", "Théhillac",
]


def seed_reference_data(session: Session) -> bool:
    """Insert the default stages, themes, legal forms, committee criteria and note kinds
    into empty tables.

    Each list is only seeded when its table is empty, so a pole's own settings are never
    overwritten. Returns True when anything was added. Flushes, does not commit.
    """
    added = False
    if not session.scalar(select(func.count()).select_from(Stage)):
        session.add_all(
            Stage(name=name, description=description, name_en=name_en,
                  description_en=description_en, position=index)
            for index, (name, description, name_en, description_en)
            in enumerate(DEFAULT_STAGES, start=1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(Theme)):
        session.add_all(
            Theme(name=name, name_en=name_en, position=index)
            for index, (name, name_en) in enumerate(DEFAULT_THEMES, 1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(LegalForm)):
        session.add_all(
            LegalForm(name=name, name_en=name_en, position=index)
            for index, (name, name_en) in enumerate(DEFAULT_LEGAL_FORMS, 1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(CommitteeCriterion)):
        session.add_all(
            CommitteeCriterion(name=name, name_en=name_en, position=index)
            for index, (name, name_en) in enumerate(DEFAULT_COMMITTEE_CRITERIA, 1)
        )
        added = True
    if not session.scalar(select(func.count()).select_from(NoteKind)):
        session.add_all(
            NoteKind(code=code, name=name, name_en=name_en, position=index)
            for index, (code, name, name_en) in enumerate(DEFAULT_NOTE_KINDS, 1)
        )
        added = True
    if added:
        session.flush()
    return added


# Reading what is in use.

def active_stages() -> list[Stage]:
    """The board's columns, in order."""
    return list(db.session.scalars(select(Stage).where(Stage.active).order_by(Stage.position)))


_EVERY_STAGE = select(Stage).order_by(Stage.position)  # built once: every board request


def active_stages_for_cards() -> list[Stage]:
    """``active_stages()``, read with the retired stages in one statement that also fills
    ``stalled_thresholds()`` for the request (the cards' stalled mark): a board page or a
    move's answer reads the stages once instead of twice (docs/performance.md)."""
    stages = list(db.session.scalars(_EVERY_STAGE))
    g.stalled_thresholds = {s.id: stalled_threshold(s.stalled_days) for s in stages}
    return [s for s in stages if s.active]


def first_stage() -> Stage | None:
    """Where a submitted idea enters the pipeline (None: no active stage).

    Read ``FOR SHARE`` (PostgreSQL), as ``board.services.active_stage``: a retirement of the
    stage waits for the submission, or the submission waits for the retirement. In the
    latter case PostgreSQL finds the row no longer active and returns nothing (the LIMIT
    does not look further), hence the second read, which sees the retirement."""
    query = (select(Stage).where(Stage.active).order_by(Stage.position, Stage.id).limit(1)
             .with_for_update(read=True).execution_options(populate_existing=True))
    return db.session.scalar(query) or db.session.scalar(query)


def early_stage_ids() -> set[int]:
    """The first two active stages: where holders may still edit their description."""
    return {stage.id for stage in active_stages()[:2]}


def themes(kept: int | None = None) -> list[Theme]:
    """Active themes (filières), in the pole's order; with ``kept``, that theme too even
    when retired (an old record's own theme stays selectable on its edit form)."""
    return _offered(Theme, kept)


def _offered(model, kept: int | None) -> list:
    """Active items of a reference list (Theme, LegalForm…) in order, plus the ``kept`` one."""
    offered = model.active if kept is None else (model.active | (model.id == kept))
    return list(db.session.scalars(select(model).where(offered)
                                   .order_by(model.position, model.id)))


def committee_criteria() -> list[CommitteeCriterion]:
    """Active committee criteria, in the pole's order: what a new review is scored on."""
    return list(db.session.scalars(
        select(CommitteeCriterion).where(CommitteeCriterion.active)
        .order_by(CommitteeCriterion.position, CommitteeCriterion.id)))


def legal_forms(kept: int | None = None) -> list[LegalForm]:
    """Active envisaged legal forms, in the pole's order; with ``kept``, that one too even
    when retired (``themes``)."""
    return _offered(LegalForm, kept)


def note_kinds() -> list[NoteKind]:
    """Active note kinds, in the pole's order: what a new note may be."""
    return list(db.session.scalars(
        select(NoteKind).where(NoteKind.active).order_by(NoteKind.position, NoteKind.id)))


def note_kind_names() -> dict[str, NoteKind]:
    """Every note kind by code, retired ones too (old notes still show theirs), read once
    per request."""
    if "note_kind_names" not in g:
        g.note_kind_names = {kind.code: kind for kind in db.session.scalars(select(NoteKind))}
    return g.note_kind_names


def commune_suggestions() -> list[str]:
    """The territory's communes plus every commune already used, one spelling each (the
    territory's, else the most used), in French order."""
    used = db.session.execute(
        select(Project.commune, func.count()).where(Project.commune_key != "")
        .group_by(Project.commune)
    )
    return one_spelling(used.all(), reference=TERRITORY_COMMUNES)


def is_theme(theme_id: int) -> bool:
    """True for a theme (the theme filters' options: /exports, /pipeline)."""
    return db.session.get(Theme, theme_id) is not None


def is_staff_member(user_id: int) -> bool:
    """True for a staff member, past or present (who may have advised a project): what an
    advisor filter (/exports, /pipeline) may name."""
    user = db.session.get(User, user_id)
    return user is not None and may_have_advised(user)


def staff_members() -> list[User]:
    """Active advisors and managers whose invitation is accepted (who may advise a project,
    be given a step, hear of a new idea), by name."""
    staff = db.session.scalars(select(User).where(active_staff()).order_by(User.name_key, User.id))
    return sorted_french(staff, key=lambda user: user.name)


# The stalled rule: one definition for the board's mark and the review's worklist.

def stalled_threshold(stalled_days: int | None) -> int:
    """Days without activity after which a project in a stage of ``stalled_days`` (the
    stage's setting, None: not set) is stalled: the stage's own, else STALLED_DAYS."""
    return stalled_days if stalled_days is not None else current_app.config["STALLED_DAYS"]


def stalled_cutoff(stalled_days: int | None, now: datetime) -> datetime:
    """A project of such a stage whose last activity is at or before this instant is
    stalled (``is_stalled``; the review's worklist asks the same in SQL)."""
    return now - timedelta(days=stalled_threshold(stalled_days))


def stalled_thresholds() -> dict[int, int]:
    """Each stage's threshold by id, read once per request (the board's cards)."""
    if "stalled_thresholds" not in g:
        rows = db.session.execute(select(Stage.id, Stage.stalled_days))
        g.stalled_thresholds = {sid: stalled_threshold(days) for sid, days in rows}
    return g.stalled_thresholds


def is_stalled(project: Project, now: datetime | None = None) -> bool:
    """An active project with no activity for its stage's threshold (or the default)."""
    if project.last_activity_at is None or project.stage_id is None:
        return False
    threshold = stalled_thresholds().get(project.stage_id, current_app.config["STALLED_DAYS"])
    return project.last_activity_at <= (now or datetime.now(UTC)) - timedelta(days=threshold)
