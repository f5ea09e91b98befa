"""Exit checklists of the demo (issue 13): criteria on two stages, added by the manager,
and some of them ticked by the advisors on the projects now in those stages (back-dated a
few days after they entered the stage), through the services."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Project, ProjectStatus, Stage, User
from .queries import stage_criteria
from .services import add_criterion, tick

# Stage name → its criteria (French, English).
CRITERIA: dict[str, tuple[tuple[str, str], ...]] = {
    "Émergence": (
        ("Collectif constitué", "Group of founders formed"),
        ("Besoin du territoire vérifié", "Local need checked"),
    ),
    "Étude de faisabilité": (
        ("Étude de marché faite", "Market study done"),
        ("Plan de financement établi", "Funding plan drawn up"),
        ("Forme juridique choisie", "Legal form chosen"),
    ),
}


def create_checklists(now: datetime, manager: User | None) -> None:
    """The demo's checklists, and ticks on the active projects of those stages: the n-th
    project of a column has its first ``n % (criteria + 1)`` criteria ticked, so some
    columns show complete, partial and empty checklists."""
    if manager is None:
        return
    for stage_name, criteria in CRITERIA.items():
        stage = db.session.scalar(select(Stage).where(Stage.name == stage_name))
        if stage is None:
            continue
        for name, name_en in criteria:
            add_criterion(manager, stage, name, name_en, now=now - timedelta(days=400))
        made = stage_criteria(stage.id)
        projects = db.session.scalars(
            select(Project).where(Project.stage_id == stage.id,
                                  Project.status == ProjectStatus.ACTIVE.value)
            .order_by(Project.position))
        for index, project in enumerate(projects):
            by = db.session.get(User, project.advisor_id) if project.advisor_id else manager
            entered = project.stage_entered_at or now
            for number, criterion in enumerate(made[:index % (len(made) + 1)]):
                at = min(entered + timedelta(days=3 + 4 * number, hours=2), now)
                tick(by or manager, project, criterion, 0, True, now=at)
    db.session.flush()
