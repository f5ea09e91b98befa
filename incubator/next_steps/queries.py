"""Reads for next steps: the project page's section and timeline, the counts the board
cards show, and the page listing a user's own open steps.

Every read costs a fixed number of SQL statements: the section loads the open steps and the
last done ones in two queries (assignees eager-loaded), the board counts all its cards in one
aggregate, and "my next steps" is one page query, its count and one query for the projects.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Select, case, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import pole_today as today
from ..models import NextStep, NextStepChange, Project, User
from ..permissions import (
    can_be_assigned,
    can_check_step,
    mentor_accounts,
    sees_all_steps,
    visible_projects,
)
from ..reference import staff_members
from ..timeline import TimelineEntry

DONE_SHOWN = 5  # done steps listed under the open ones on the project page
MINE_PER_PAGE = 50


@dataclass
class ProjectSteps:
    """The section's list: every open step (soonest due first), then the last done ones."""

    open: list[NextStep]
    done: list[NextStep]
    today: date
    checkable: set[int] = field(default_factory=set)  # steps the reader may tick or untick

    @property
    def open_count(self) -> int:
        return len(self.open)

    @property
    def overdue_count(self) -> int:
        return sum(1 for step in self.open if step.is_overdue(self.today))


def _with_people(statement):
    return statement.options(joinedload(NextStep.assignee), joinedload(NextStep.done_by))


def _of_project(user: User, project: Project):
    """The steps of ``project`` that ``user`` sees (a mentor: those assigned to them)."""
    statement = select(NextStep).where(NextStep.project_id == project.id)
    if not sees_all_steps(user, project):
        statement = statement.where(NextStep.assignee_id == user.id)
    return statement


def project_steps(user: User, project: Project) -> ProjectSteps:
    """The section's list as ``user`` sees it (two statements)."""
    open_steps = db.session.scalars(_with_people(
        _of_project(user, project)
        .where(NextStep.done_at.is_(None))
        .order_by(NextStep.due_on, NextStep.id)
    )).all()
    done_steps = db.session.scalars(_with_people(
        _of_project(user, project)
        .where(NextStep.done_at.is_not(None))
        .order_by(NextStep.done_at.desc(), NextStep.id.desc())
        .limit(DONE_SHOWN)
    )).all()
    steps = ProjectSteps(list(open_steps), list(done_steps), today())
    steps.checkable = {s.id for s in steps.open + steps.done if can_check_step(user, project, s)}
    return steps


def assignees(project: Project) -> list[User]:
    """Who a step can be given to: the project's advisor, every active staff member, the
    project's holders and current mentors (inactive accounts and invitations still pending
    left out: they cannot act on it). One statement besides the staff list."""
    staff = staff_members()
    mentors = db.session.scalars(
        select(User).where(User.id.in_(mentor_accounts(project.id).scalar_subquery()))
        .order_by(User.name_key, User.id)).all()
    people: dict[int, User] = {}
    for person in [project.advisor, *staff, *project.holders, *mentors]:
        if person is not None and can_be_assigned(person):
            people.setdefault(person.id, person)
    return list(people.values())


def section(user: User, project: Project) -> dict[str, Any]:
    """What the section shows on the project page: the steps (its form is built by the
    page, see ``next_steps.forms.section_forms``)."""
    return {"next_steps": project_steps(user, project), "today": today()}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """One entry per tick and per reopening of a step (by whom, when): a step reopened
    since keeps its "done" entry. Holders see the steps too: none is internal; a mentor
    sees those of their own steps."""
    statement = (
        select(NextStepChange)
        .where(NextStepChange.project_id == project.id)
        .options(joinedload(NextStepChange.step), joinedload(NextStepChange.by))
    )
    if not sees_all_steps(user, project):
        statement = statement.join(NextStep, NextStep.id == NextStepChange.step_id).where(
            NextStep.assignee_id == user.id)
    changes = db.session.scalars(statement)
    return [TimelineEntry("next_step" if change.kind == "done" else "next_step_reopened",
                          change.at, change, "next_steps/_timeline_entry.html")
            for change in changes]


def step_of(project: Project, step_id: int) -> NextStep | None:
    """The step, if it belongs to ``project``."""
    return db.session.scalars(_with_people(
        select(NextStep).where(NextStep.id == step_id, NextStep.project_id == project.id)
    )).one_or_none()


def open_counts(project_ids: Collection[int], on: date | None = None,
                assignee: User | None = None) -> dict[int, tuple[int, int]]:
    """Per project: (open steps, overdue ones), in one aggregate over ``project_ids``
    (only those assigned to ``assignee`` when given)."""
    if not project_ids:
        return {}
    statement = open_counts_statement(project_ids, on or today())
    if assignee is not None:
        statement = statement.where(NextStep.assignee_id == assignee.id)
    rows = db.session.execute(statement)
    return {project_id: (int(count), int(overdue or 0)) for project_id, count, overdue in rows}


def open_counts_statement(project_ids: Collection[int] | BindParameter,
                          on: date | BindParameter) -> Select:
    """``open_counts``' aggregate, for a caller that sends it with others in one statement
    (the board's card marks, built once with bind parameters): rows (project id, open
    steps, overdue ones on ``on``)."""
    ids = project_ids if isinstance(project_ids, BindParameter) else list(project_ids)
    return (
        select(NextStep.project_id, func.count(),
               func.sum(case((NextStep.due_on < on, 1), else_=0)))
        .where(NextStep.project_id.in_(ids), NextStep.done_at.is_(None))
        .group_by(NextStep.project_id)
    )


def _mine(user: User):
    """The user's open steps on the projects they may still see."""
    return visible_projects(
        user,
        select(NextStep)
        .join(Project, Project.id == NextStep.project_id)
        .where(NextStep.assignee_id == user.id, NextStep.done_at.is_(None)),
    )


def my_steps(user: User, page: int = 1):
    """A page of the user's open steps, soonest due first, with their projects."""
    pagination = db.paginate(
        _mine(user).order_by(NextStep.due_on, NextStep.id),
        page=page, per_page=MINE_PER_PAGE, error_out=False,
    )
    ids = {step.project_id for step in pagination.items}
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)))} \
        if ids else {}
    return pagination, projects


def my_counts(user: User, on: date | None = None) -> tuple[int, int]:
    """(open, overdue) over all the user's open steps on projects they may see."""
    on = on or today()
    subquery = _mine(user).with_only_columns(NextStep.due_on).subquery()
    count, overdue = db.session.execute(
        select(func.count(), func.sum(case((subquery.c.due_on < on, 1), else_=0)))
        .select_from(subquery)
    ).one()
    return int(count or 0), int(overdue or 0)
