"""Reads for the bell, the menu and the page. Each costs a fixed number of statements:
the actor is joined, and which projects may still be opened is one query for the lot."""

from __future__ import annotations

from collections.abc import Iterable

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Notification, Project, User
from ..permissions import visible_projects

PER_PAGE = 30
MENU_SIZE = 10


def _of(user: User) -> Select:
    """``user``'s own notifications (never anyone else's), newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(joinedload(Notification.actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def page(user: User, number: int) -> Pagination:
    """One page of the notifications page (two statements: the rows and the total)."""
    return db.paginate(_of(user), page=max(number, 1), per_page=PER_PAGE, error_out=False)


def latest(user: User, limit: int = MENU_SIZE) -> list[Notification]:
    """What the bell's menu lists."""
    return list(db.session.scalars(_of(user).limit(limit)))


def linkable(user: User, notifications: Iterable[Notification]) -> set[int]:
    """The projects of ``notifications`` that ``user`` may still open (a holder removed
    from a project keeps the notification, without the link)."""
    ids = {n.project_id for n in notifications if n.project_id is not None}
    if not ids:
        return set()
    return set(db.session.scalars(visible_projects(user, select(Project.id))
                                  .where(Project.id.in_(ids))))


# Built once (every page's header and every bell poll run it): see auth/sessions.py's
# _SESSION_WITH_USER.
_UNREAD_COUNT = (select(func.count()).select_from(Notification)
                 .where(Notification.user_id == bindparam("user_id"),
                        Notification.read_at.is_(None)))


def unread_count(user: User) -> int:
    """The bell's number: one COUNT on the (user_id, read_at) index."""
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id}) or 0
