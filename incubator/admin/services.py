"""User administration: invitations, role changes, deactivation. Flush, never commit.

Each change is written to the security log, and a role change, deactivation or
reactivation ends every open session of the person (they log in again under the new rules).
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..auth import sessions
from ..auth.services import create_user, send_invitation
from ..extensions import db
from ..models import EndReason, Role, User
from ..security_log import record as log_event


class LastManager(ValueError):
    """The change would leave the pole without an active manager."""


def invite_staff(email: str, name: str, role: Role, by: User) -> User:
    """Create an account waiting for its password and e-mail the link (to them only).

    Raises EmailTaken when an account already uses ``email``."""
    user = create_user(email, name, role, None, invited_by=by)  # logs user.invited
    send_invitation(user, by)
    return user


def _other_active_managers(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role == Role.MANAGER.value, User.active, User.id != user.id
        )
    ) or 0


def change_role(user: User, role: Role) -> None:
    """Give ``user`` another role and end their sessions (they log in again with it).

    Raises LastManager when the change would leave no active manager."""
    if user.role == Role.MANAGER and role != Role.MANAGER and not _other_active_managers(user):
        raise LastManager(user.email)
    if user.role == role:
        return
    log_event("user.role_changed", target_id=user.id, old_role=user.role, new_role=role.value)
    user.role = role.value
    sessions.end_all(user, EndReason.ROLE_CHANGED)
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Deactivate or reactivate ``user``'s account; either way their sessions end.

    Raises LastManager when deactivating the last active manager."""
    if not active and user.role == Role.MANAGER and not _other_active_managers(user):
        raise LastManager(user.email)
    if user.active == active:
        return
    user.active = active
    log_event("user.reactivated" if active else "user.deactivated", target_id=user.id)
    sessions.end_all(user, EndReason.REACTIVATED if active else EndReason.DEACTIVATED)
    db.session.flush()
