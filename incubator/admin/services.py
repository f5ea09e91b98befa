"""User administration: invitations (send, resend, revoke), role changes, deactivation, and
the hand-over of a departing advisor's work. Flush, never commit.

Each change is written to the security log, and a role change, deactivation or
reactivation ends every open session of the person (they log in again under the new rules).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from ..auth import sessions
from ..auth.services import create_user, send_invitation
from ..extensions import db
from ..i18n import de
from ..models import EndReason, NextStep, Project, ProjectEvent, Role, User
from ..notifications.services import handed_over
from ..permissions import can_be_advisor, is_pending_staff
from ..security_log import record as log_event
from ..tokens import spend_tokens
from ..versions import StaleVersion
from .queries import hand_over_preview, invitation_version


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


class InvitationClosed(ValueError):
    """The invitation is no longer pending (password chosen or account deactivated)."""


def _check_pending(user: User, seen_link: int | None) -> None:
    """Raises InvitationClosed (no longer pending) or StaleVersion (a newer link since).

    The account's row is locked first (PostgreSQL), so two managers pressing at the same
    instant are served one after the other: the second sees the first one's new link."""
    db.session.refresh(user, with_for_update=True)
    if not user.active or user.has_password:
        raise InvitationClosed(user.email)
    if seen_link is None or invitation_version(user) != seen_link:
        raise StaleVersion()


def resend_invitation(user: User, by: User, seen_link: int | None) -> None:
    """A new link to a pending invitee; the earlier links die (``send_invitation``).

    Raises InvitationClosed, or StaleVersion when the invitation changed since the page
    (another manager sent or revoked it)."""
    _check_pending(user, seen_link)
    send_invitation(user, by)
    log_event("user.invited", target_id=user.id, email=user.email, role=user.role,
              invited_by_id=by.id, again=True)


def revoke_invitation(user: User, by: User, seen_link: int | None) -> None:
    """Withdraw a pending invitation: every link of the account dies and the account is
    deactivated, not deleted. Deleting would lose who invited whom and when, and the rows
    that may already name the person (a project's holder, a next step, a mentor contact);
    a deactivated account cannot log in, is never offered as advisor or assignee, and can be
    reactivated and invited again.

    Raises InvitationClosed, StaleVersion (see ``resend_invitation``); LastManager only in
    theory (a pending account is never the one active manager left: someone invited it)."""
    _check_pending(user, seen_link)
    spend_tokens(user)
    set_active(user, False)  # logs user.deactivated and ends sessions (there are none)
    log_event("user.invitation_revoked", target_id=user.id, email=user.email, by_id=by.id)


class HandOverRefused(ValueError):
    """A hand-over between these two accounts is not allowed (the message says why)."""


def check_hand_over(departing: User, receiving: User) -> None:
    """Refuse a hand-over that cannot be: to oneself, from someone who is not staff, to an
    account that is not active staff with an accepted invitation. Raises HandOverRefused."""
    if departing.id == receiving.id:
        raise HandOverRefused(_("Choose two different people: the work goes from one advisor "
                                "to another."))
    if not departing.is_staff:
        raise HandOverRefused(_("%(name)s is not an advisor or a manager: choose whose work "
                                "is handed over among the staff.", name=departing.name))
    if not receiving.is_staff:
        raise HandOverRefused(_("%(name)s is not an advisor or a manager: only staff can "
                                "receive projects.", name=receiving.name))
    if not receiving.active:
        raise HandOverRefused(_("The account %(of_name)s is deactivated: choose an active "
                                "advisor.", of_name=de(receiving.name)))
    if is_pending_staff(receiving) or not can_be_advisor(receiving):
        raise HandOverRefused(_("%(name)s has not accepted their invitation yet: choose "
                                "someone whose account is set up.", name=receiving.name))


def hand_over(departing: User, receiving: User, by: User, seen: str | None) -> tuple[int, int]:
    """Give ``receiving`` the projects ``departing`` follows (not closed) and their open next
    steps, in the caller's transaction. Each project touched gets one timeline event (who,
    from, to, what moved), the receiving advisor one notification; the projects moved have their version bumped (open forms and
    board cards follow). Nothing else of ``departing`` changes: closed projects, done steps,
    notes and history keep their name. ``last_activity_at`` is left alone: a hand-over is not
    work with the project, and the stalled signal must survive it.

    ``seen`` is the preview's fingerprint: StaleVersion when the work changed since;
    HandOverRefused (``check_hand_over``) for two people who cannot hand over.
    Returns (projects moved, steps moved)."""
    check_hand_over(departing, receiving)
    preview = hand_over_preview(departing)
    if seen is None or preview.fingerprint != seen:
        raise StaleVersion()
    project_ids = [pid for pid, _title, _version in preview.projects]
    if project_ids:
        moved = db.session.execute(
            update(Project)
            .where(Project.id.in_(project_ids), Project.advisor_id == departing.id)
            .values(advisor_id=receiving.id, version=Project.version + 1)
            .execution_options(synchronize_session=False))
        if moved.rowcount != len(project_ids):
            raise StaleVersion()
    steps_by_project: dict[int, int] = {}
    if preview.step_ids:
        rows = db.session.execute(
            update(NextStep)
            .where(NextStep.id.in_(preview.step_ids), NextStep.assignee_id == departing.id,
                   NextStep.done_at.is_(None))
            .values(assignee_id=receiving.id)
            .returning(NextStep.project_id)
            .execution_options(synchronize_session=False)).scalars().all()
        if len(rows) != len(preview.step_ids):
            raise StaleVersion()
        for project_id in rows:
            steps_by_project[project_id] = steps_by_project.get(project_id, 0) + 1
    # One INSERT for every event, whatever their number (ORM adds would send one each).
    events = [
        {"project_id": project_id, "kind": "advisor_handed_over", "actor_id": by.id,
         "subject_id": receiving.id,
         "detail": {"from": departing.name, "to": receiving.name,
                    "advisor": project_id in project_ids,
                    "steps": steps_by_project.get(project_id, 0)}}
        for project_id in sorted(set(project_ids) | set(steps_by_project))]
    if events:
        db.session.execute(insert(ProjectEvent), events)
    log_event("team.handed_over", from_id=departing.id, to_id=receiving.id,
              projects=len(project_ids), steps=len(preview.step_ids))
    if project_ids or preview.step_ids:
        handed_over(receiving, by, departing, len(project_ids), len(preview.step_ids))
    db.session.flush()
    db.session.expire_all()  # the loaded projects and steps are behind the bulk updates
    return len(project_ids), len(preview.step_ids)
