"""Reads for the user administration."""

from __future__ import annotations

from sqlalchemy import case, select

from ..extensions import db
from ..models import Role, User

ROLE_ORDER = case(
    {Role.MANAGER.value: 0, Role.ADVISOR.value: 1, Role.MENTOR.value: 2, Role.HOLDER.value: 3},
    value=User.role,
)


def users_page(page: int, per_page: int = 50, role: str | None = None):
    """A page of users, staff first, then by name in French order: the name's search key
    (accents and case aside, the same on SQLite and PostgreSQL), then its spelling."""
    statement = select(User).order_by(ROLE_ORDER, User.name_key, User.name, User.id)
    if role:
        statement = statement.where(User.role == role)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)
