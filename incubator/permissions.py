"""Who may see or change what. The one place every blueprint asks.

Rules (PRODUCT.md): a holder sees only their own projects; a mentor only the projects they
mentor (the link arrives with the network issue, so none yet); staff (advisors, managers) see
everything. Object access that fails answers 404, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, select

from .models import Project, ProjectHolder, ProjectStatus, Role, User


def roles_required(*roles: Role) -> Callable:
    """Route decorator: logged in, and with one of ``roles`` (403 otherwise)."""
    allowed = {r.value for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(Role.ADVISOR, Role.MANAGER)
manager_required = roles_required(Role.MANAGER)


def visible_projects(user: User, statement: Select | None = None) -> Select:
    """Restrict a project query to what ``user`` may see."""
    statement = statement if statement is not None else select(Project)
    if user.is_staff:
        return statement
    if user.role == Role.HOLDER:
        return statement.where(
            exists().where(
                ProjectHolder.project_id == Project.id, ProjectHolder.user_id == user.id
            )
        )
    return statement.where(False)  # mentors: the mentorship link comes later


def is_holder_of(user: User, project: Project) -> bool:
    return any(link.user_id == user.id for link in project.holder_links)


def can_edit_description(user: User, project: Project, early_stage_ids: Collection[int]) -> bool:
    """Staff always; holders while the project is a draft or in one of the first stages
    (``early_stage_ids``: the first two active stages, see ``projects.queries``)."""
    if user.is_staff:
        return True
    if not is_holder_of(user, project):
        return False
    if project.status == ProjectStatus.DRAFT:
        return True
    return project.status == ProjectStatus.ACTIVE and project.stage_id in early_stage_ids


def sees_internal(user: User, project: Project) -> bool:
    """Internal notes and documents: staff (mentors of the project once mentorships exist)."""
    return user.is_staff


def can_follow_up(user: User, project: Project) -> bool:
    """Write notes, add next steps, mark documents internal: staff."""
    return user.is_staff


def can_manage_note(user: User, author_id: int | None) -> bool:
    """Edit or delete a note: its author, or a manager."""
    return user.is_manager or (author_id is not None and author_id == user.id)


def visible_project_or_404(project_id: int) -> Project:
    """The project with what its page shows, if the current user may see it; else 404
    (the same answer whether it does not exist or is not theirs, so ids cannot be probed)."""
    from .projects.queries import visible_project  # the query module imports this one

    project = visible_project(current_user, project_id)
    if project is None:
        abort(404)
    return project
