"""Reads for mentor accounts: a mentor's current mentorships (their home page and their
part of a project page), and a contact person with their account (the invitation).

Each read is one statement whatever the number of mentorships (eager loading declared)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Mentorship, OrganisationContact, Project, User
from ..permissions import is_mentor, visible_projects


def current_mentorships(user: User, project_id: int | None = None) -> list[Mentorship]:
    """The current mentorships whose contact person is ``user``'s account (of one project
    when ``project_id`` is given), with their organisation; empty for other roles. Newest
    first."""
    if not is_mentor(user):
        return []
    statement = (
        select(Mentorship)
        .join(OrganisationContact, OrganisationContact.id == Mentorship.contact_id)
        .where(OrganisationContact.user_id == user.id, Mentorship.ended_on.is_(None))
        .options(joinedload(Mentorship.organisation))
        .order_by(Mentorship.started_on.desc(), Mentorship.id.desc())
    )
    if project_id is not None:
        statement = statement.where(Mentorship.project_id == project_id)
    return list(db.session.scalars(statement))


def my_mentorships(user: User) -> list[tuple[Project, list[Mentorship]]]:
    """"My mentorships": each project ``user`` mentors now (stage and advisor loaded), with
    the mentorships that link them, the most recently active project first. Two
    statements."""
    mentorships = current_mentorships(user)
    ids = {m.project_id for m in mentorships}
    if not ids:
        return []
    projects = db.session.scalars(
        visible_projects(user).where(Project.id.in_(ids))
        .options(joinedload(Project.stage), joinedload(Project.advisor))
        .order_by(Project.last_activity_at.desc(), Project.id.desc())
    ).unique()
    return [(project, [m for m in mentorships if m.project_id == project.id])
            for project in projects]


def section(user: User, project: Project) -> dict[str, Any]:
    """The project page's "Your mentorship" block (template context): ``user``'s current
    mentorships of ``project`` (none, and no statement, for other roles)."""
    return {"my_mentorships": current_mentorships(user, project.id)}


def contact_with_account(organisation_id: int, contact_id: int) -> OrganisationContact | None:
    """The contact person ``contact_id`` of that organisation, with their account and
    organisation loaded (None when elsewhere)."""
    return db.session.scalars(
        select(OrganisationContact)
        .where(OrganisationContact.id == contact_id,
               OrganisationContact.organisation_id == organisation_id)
        .options(joinedload(OrganisationContact.user),
                 joinedload(OrganisationContact.organisation))
    ).one_or_none()
