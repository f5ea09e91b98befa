"""Accompaniment time of the demo (issue 12): a few months of meetings, calls, workshops and
visits logged by the advisors of the demo projects, through the service (back-dated), so the
project pages and the review show believable hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..i18n import pole_today
from ..models import Project, ProjectStatus, User
from .services import log_time

# (days after the project's creation, minutes, kind, note), played on each project with an
# advisor while the day is not in the future.
PATTERN: tuple[tuple[int, int, str, str], ...] = (
    (2, 90, "individual_meeting", "Premier accueil : l’idée, le collectif, le territoire."),
    (9, 30, "phone", ""),
    (21, 120, "collective_workshop", "Atelier « Modèle économique » avec trois autres projets."),
    (35, 60, "video", "Relecture du prévisionnel."),
    (50, 150, "on_site", "Visite du local envisagé."),
    (70, 45, "phone", ""),
    (95, 90, "individual_meeting", "Point d’étape avant le comité."),
)


def create_accompaniment(now: datetime, fallback: User | None) -> None:
    """The demo's accompaniment time, through the service (back-dated with ``now``):
    each project followed by an advisor (else ``fallback``, the manager) gets the entries
    of ``PATTERN`` that fall before its last activity so far (a paused or closed project's
    last activity stays its pause or close)."""
    projects = db.session.scalars(select(Project).where(
        Project.status != ProjectStatus.DRAFT.value).order_by(Project.id))
    today = pole_today(now)
    for index, project in enumerate(projects):
        advisor = db.session.get(User, project.advisor_id) if project.advisor_id else fallback
        if advisor is None:
            continue
        for days, minutes, kind, note in PATTERN[:3 + index % 5]:
            at = project.created_at + timedelta(days=days, hours=2)
            if pole_today(at) > today or at > min(now, project.last_activity_at):
                break
            log_time(advisor, project, advisor, spent_on=pole_today(at), minutes=minutes,
                     kind=kind, note=note, now=at)
