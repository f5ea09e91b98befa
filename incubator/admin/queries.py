"""Reads for the user administration."""

from __future__ import annotations

from sqlalchemy import case, select

from ..extensions import db
from ..models import Organisation, OrganisationContact, Role, User

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


def mentor_organisations(users: list[User]) -> dict[int, str]:
    """For the mentor accounts among ``users``: the name of the organisation whose contact
    person they are (one statement; a mentor account linked to no contact is absent)."""
    ids = [user.id for user in users if user.role == Role.MENTOR]
    if not ids:
        return {}
    rows = db.session.execute(
        select(OrganisationContact.user_id, Organisation.name)
        .join(Organisation, Organisation.id == OrganisationContact.organisation_id)
        .where(OrganisationContact.user_id.in_(ids)))
    return {user_id: name for user_id, name in rows}
