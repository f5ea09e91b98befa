"""Reads of the cohorts: the list with each cohort's current member count, the history of
changes, a cohort's page (its current projects with stage, status and advisor), the search
of projects to add, a project's cohorts (its page's section), the choices of the board's and
the review's filters, and the SQL condition "member of one of these cohorts" they filter by.

Every read costs a fixed number of SQL statements whatever the number of cohorts or members.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    Cohort,
    CohortProject,
    CohortVersion,
    Project,
    ProjectEvent,
    ProjectStatus,
    User,
)
from ..permissions import can_follow_cohorts
from ..text import like_key, sorted_french
from ..timeline import TimelineEntry

SEARCH_SHOWN = 20
HISTORY_SHOWN = 100


def cohort(cohort_id: int) -> Cohort | None:
    return db.session.get(Cohort, cohort_id)


def _ordered(statement):
    """Latest cohorts first (by first day), then by name in French order (the name key)."""
    return statement.order_by(Cohort.starts_on.desc(), Cohort.name_key, Cohort.id)


@dataclass
class Listing:
    """Every cohort (archived ones last) with its current member count (cohort id →)."""

    cohorts: list[Cohort]
    counts: dict[int, int]


def listing() -> Listing:
    """All cohorts and their member counts: two statements."""
    cohorts = list(db.session.scalars(_ordered(select(Cohort))))
    cohorts.sort(key=lambda c: c.is_archived)  # stable: keeps the order within each part
    counts = dict(db.session.execute(
        select(CohortProject.cohort_id, func.count())
        .where(CohortProject.left_at.is_(None)).group_by(CohortProject.cohort_id)).all())
    return Listing(cohorts, counts)


def history(cohort_id: int | None = None, limit: int = HISTORY_SHOWN) -> list[CohortVersion]:
    """The latest changes of cohorts (of one, when given), newest first, with who made
    them: one statement."""
    statement = (select(CohortVersion)
                 .options(joinedload(CohortVersion.changed_by))
                 .order_by(CohortVersion.changed_at.desc(), CohortVersion.id.desc())
                 .limit(limit))
    if cohort_id is not None:
        statement = statement.where(CohortVersion.cohort_id == cohort_id)
    return list(db.session.scalars(statement))


def members(cohort_id: int) -> list[CohortProject]:
    """The cohort's current projects with their stage and advisor, in French order of
    their titles: one statement."""
    links = db.session.scalars(
        select(CohortProject)
        .where(CohortProject.cohort_id == cohort_id, CohortProject.left_at.is_(None))
        .options(joinedload(CohortProject.project).joinedload(Project.stage),
                 joinedload(CohortProject.project).joinedload(Project.advisor),
                 joinedload(CohortProject.added_by)))
    return sorted_french(links.unique(), key=lambda link: link.project.title)


def search_projects(q: str, exclude: Collection[int]) -> list[Project]:
    """Submitted projects (not drafts) whose title, pitch or commune match ``q`` (accents and
    case aside), not in ``exclude``: at most SEARCH_SHOWN, one statement."""
    statement = (select(Project)
                 .where(Project.status != ProjectStatus.DRAFT.value,
                        like_key(Project.search_text, q))
                 .options(joinedload(Project.stage))
                 .order_by(Project.last_activity_at.desc(), Project.id.desc())
                 .limit(SEARCH_SHOWN))
    if exclude:
        statement = statement.where(Project.id.not_in(list(exclude)))
    return sorted_french(db.session.scalars(statement), key=lambda p: p.title)


def project(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


def project_cohorts(project_id: int) -> list[CohortProject]:
    """The cohorts a project is in now (archived cohorts included): one statement."""
    links = db.session.scalars(
        _ordered(select(CohortProject)
                 .join(Cohort, Cohort.id == CohortProject.cohort_id)
                 .where(CohortProject.project_id == project_id,
                        CohortProject.left_at.is_(None)))
        .options(selectinload(CohortProject.cohort)))
    return list(links)


def open_cohorts() -> list[Cohort]:
    """The cohorts not archived (those a project may join; the board's filter)."""
    return list(db.session.scalars(_ordered(select(Cohort).where(Cohort.archived_at.is_(None)))))


def all_cohorts() -> list[Cohort]:
    """Every cohort, archived ones too (the review compares past cohorts)."""
    return list(db.session.scalars(_ordered(select(Cohort))))


def existing_cohorts(cohort_ids: Collection[int]) -> set[int]:
    """Which of ``cohort_ids`` are cohorts (a filter's check): one statement."""
    if not cohort_ids:
        return set()
    return set(db.session.scalars(select(Cohort.id).where(Cohort.id.in_(list(cohort_ids)))))


def is_cohort(cohort_id: int) -> bool:
    """Whether ``cohort_id`` is a cohort (archived or not): one statement."""
    return db.session.get(Cohort, cohort_id) is not None


def in_cohorts(cohort_ids: Collection[int]) -> ColumnElement[bool]:
    """SQL condition on ``Project``: a current member of at least one of ``cohort_ids``.
    An uncorrelated ``IN (SELECT …)``, not a correlated EXISTS: inside the board's
    per-column ``CASE`` the EXISTS ran once per active project (49 → 12 ms at the regional
    scale, docs/performance.md "Issue 15, third pass: regional")."""
    return Project.id.in_(select(CohortProject.project_id)
                          .where(CohortProject.cohort_id.in_(list(cohort_ids)),
                                 CohortProject.left_at.is_(None)))


# The project page


def section(user: User, project: Project) -> dict[str, Any]:
    """The project page's « Promotions » section, for staff only: the cohorts it is in and
    those it may join (two statements); nothing for holders and mentors."""
    if not can_follow_cohorts(user):
        return {}
    links = project_cohorts(project.id)
    inside = {link.cohort_id for link in links}
    return {"project_cohorts": links,
            "joinable_cohorts": [c for c in open_cohorts() if c.id not in inside]}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """The ``cohort_joined`` / ``cohort_left`` events of the project, for staff only (holders
    and mentors never see cohorts). One statement (none for others)."""
    if not can_follow_cohorts(user):
        return []
    events = db.session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id,
               ProjectEvent.kind.in_(("cohort_joined", "cohort_left")))
        .options(joinedload(ProjectEvent.actor)))
    return [TimelineEntry("event", e.at, e, "projects/_event_entry.html") for e in events]
