"""Demo cohorts: an « Idéateur » promotion of last autumn and an « Incubateur » promotion of
this spring, each with some demo projects (one went from the first to the second). Through
the services, back-dated with ``now``; flushes, does not commit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Project, ProjectStatus, User
from . import services


def create_cohorts(staff: User | None, now: datetime) -> None:
    """Two cohorts and their projects (their timelines get the "joined" events)."""
    year = now.year
    projects = list(db.session.scalars(
        select(Project).where(Project.status != ProjectStatus.DRAFT.value)
        .order_by(Project.id).limit(8)))
    ideation = services.create_cohort(
        staff, name=f"Idéateur — automne {year - 1}", name_en=f"Ideator — autumn {year - 1}",
        starts_on=date(year - 1, 9, 15), ends_on=date(year - 1, 12, 15),
        description="Trois mois pour passer de l’idée au collectif\u202f: ateliers du mardi soir, "
                    "rencontre des structures adhérentes.",
        now=now - timedelta(days=300))
    incubation = services.create_cohort(
        staff, name=f"Incubateur — printemps {year}", name_en=f"Incubator — spring {year}",
        starts_on=date(year, 3, 1), ends_on=date(year, 7, 15),
        description="Étude de faisabilité accompagnée\u202f: modèle économique, forme juridique, "
                    "plan de financement.",
        now=now - timedelta(days=200))
    for project in projects[:5]:
        services.add_project(staff, ideation, project, now=now - timedelta(days=290))
    for project in projects[4:]:
        services.add_project(staff, incubation, project, now=now - timedelta(days=190))
    db.session.flush()
