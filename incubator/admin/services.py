"""User administration: invitations, role changes, deactivation. Flush, never commit."""

from __future__ import annotations

from sqlalchemy import func, select

from ..auth.services import create_user, send_invitation
from ..extensions import db
from ..models import Role, User


class LastManager(ValueError):
    """The change would leave the pole without an active manager."""


def invite_staff(email: str, name: str, role: Role, by: User) -> User:
    """Create an account waiting for its password and e-mail the link (to them only)."""
    user = create_user(email, name, role, None, invited_by=by)
    send_invitation(user, by)
    return user


def _other_active_managers(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role == Role.MANAGER.value, User.active, User.id != user.id
        )
    ) or 0


def change_role(user: User, role: Role) -> None:
    if user.role == Role.MANAGER and role != Role.MANAGER and not _other_active_managers(user):
        raise LastManager(user.email)
    user.role = role.value
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    if not active and user.role == Role.MANAGER and not _other_active_managers(user):
        raise LastManager(user.email)
    user.active = active
    db.session.flush()
