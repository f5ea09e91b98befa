"""Reads for the administration: users, pending invitations, the hand-over's choices and
preview, and the history of the pole's settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import (
    STAFF_ROLES,
    Erasure,
    Job,
    NextStep,
    Organisation,
    OrganisationContact,
    OutgoingMail,
    PasswordToken,
    PoleSettingsVersion,
    Project,
    ProjectStatus,
    Role,
    User,
    utcnow,
)
from ..permissions import active_staff
from ..tokens import invitation_links

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


def pole_history(limit: int = 10) -> list[PoleSettingsVersion]:
    """The latest saves of the pole's settings, newest first, with who saved them (one
    statement)."""
    return list(db.session.scalars(
        select(PoleSettingsVersion).options(joinedload(PoleSettingsVersion.changed_by))
        .order_by(PoleSettingsVersion.id.desc()).limit(limit)))
@dataclass
class PendingInvitation:
    """An account waiting for its password: who, invited when and by whom, and its latest
    link (None when no link was ever sent, e.g. an account made from the command line)."""

    user: User
    inviter_name: str | None
    link: PasswordToken | None
    sends: int = 0  # how many links were sent (more than one: sent again)

    @property
    def link_id(self) -> int:
        """The invitation's version: the id of its latest link (0 for none). A resend or
        revoke made from an older page carries an older id and is refused (409)."""
        return self.link.id if self.link else 0

    @property
    def state(self) -> str:
        """"none" (no link sent), "spent" (its link was used up without a password, e.g.
        by an earlier revoke), "expired" or "valid"."""
        if self.link is None:
            return "none"
        if self.link.used_at is not None:
            return "spent"
        return "expired" if self.link.expires_at <= utcnow() else "valid"


def pending_invitations() -> list[PendingInvitation]:
    """Active accounts invited by someone that have no password yet, the latest invited
    first (two statements whatever their number)."""
    inviter = aliased(User)
    rows = db.session.execute(
        select(User, inviter.name)
        .outerjoin(inviter, inviter.id == User.invited_by_id)
        .where(User.password_hash.is_(None), User.active, User.invited_at.is_not(None))
        .order_by(User.invited_at.desc(), User.id.desc())).all()
    links = invitation_links([user.id for user, _name in rows])
    return [PendingInvitation(user, name, (links.get(user.id) or [None])[-1],
                              len(links.get(user.id, ()))) for user, name in rows]


def invitation_version(user: User) -> int:
    """The id of ``user``'s latest invitation link, 0 if none (see ``PendingInvitation``)."""
    return db.session.scalar(
        select(func.max(PasswordToken.id)).where(PasswordToken.user_id == user.id,
                                                  PasswordToken.kind == "invite")) or 0


def departing_choices() -> list[User]:
    """Whose work can be handed over: staff accounts, active or deactivated (someone who left
    is often deactivated first), in French order."""
    return list(db.session.scalars(
        select(User).where(User.role.in_([r.value for r in STAFF_ROLES]))
        .order_by(User.name_key, User.name, User.id)))


def receiving_choices() -> list[User]:
    """Who can receive the work: active staff with an accepted invitation, in French order."""
    return list(db.session.scalars(
        select(User).where(active_staff()).order_by(User.name_key, User.name, User.id)))


def handed_projects(departing: User):
    """The projects a hand-over moves: those ``departing`` follows that are not closed (a
    closed project keeps the advisor who followed it: the review's figures stay true)."""
    return select(Project).where(Project.advisor_id == departing.id,
                                 Project.status != ProjectStatus.CLOSED.value)


def handed_steps(departing: User):
    """The next steps a hand-over moves: those assigned to ``departing`` and still open."""
    return select(NextStep).where(NextStep.assignee_id == departing.id,
                                  NextStep.done_at.is_(None))


@dataclass
class HandOverPreview:
    projects: list[tuple[int, str, int]]  # id, title, version
    step_ids: list[int]

    @property
    def fingerprint(self) -> str:
        """What the manager saw: a change of any project moved (its version) or of the set
        of steps makes the confirmation stale."""
        text = repr((sorted((pid, version) for pid, _t, version in self.projects),
                     sorted(self.step_ids)))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def hand_over_preview(departing: User) -> HandOverPreview:
    """What a hand-over of ``departing``'s work would move (two statements)."""
    projects = handed_projects(departing).with_only_columns(
        Project.id, Project.title, Project.version).order_by(Project.id)
    steps = handed_steps(departing).with_only_columns(NextStep.id).order_by(NextStep.id)
    return HandOverPreview([tuple(row) for row in db.session.execute(projects)],
                           list(db.session.scalars(steps)))


def erased_numbers(user_ids: list[int]) -> dict[int, int]:
    """{user id: erasure number} for those of ``user_ids`` whose account was erased (one
    statement): the users table shows their shell without the actions of a live account."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(Erasure.user_id, Erasure.id).where(Erasure.user_id.in_(user_ids))).all())


# The worker's queue (/admin/outbox, issue 15) -----------------------------------------------

OUTBOX_SHOWN = 200  # rows of each kind the page lists (the oldest problems first)


def outbox_mails() -> list:
    """Mails not sent that failed for good or wait for another attempt (attempts > 0), the
    failed ones first: rows of id, to, subject, secret, attempts, last_error,
    next_attempt_at, failed_at, claimed_at, created_at. Never the body (it may hold a live
    link)."""
    return list(db.session.execute(
        select(OutgoingMail.id, OutgoingMail.to, OutgoingMail.subject, OutgoingMail.secret,
               OutgoingMail.attempts, OutgoingMail.last_error, OutgoingMail.next_attempt_at,
               OutgoingMail.failed_at, OutgoingMail.claimed_at, OutgoingMail.created_at)
        .where(OutgoingMail.sent_at.is_(None),
               or_(OutgoingMail.failed_at.is_not(None), OutgoingMail.attempts > 0))
        .order_by(OutgoingMail.failed_at.is_(None), OutgoingMail.next_attempt_at,
                  OutgoingMail.id)
        .limit(OUTBOX_SHOWN)))


def outbox_jobs() -> list:
    """Jobs that failed for good or wait for another attempt, as ``outbox_mails``: rows of
    id, kind, attempts, last_error, next_attempt_at, failed_at, claimed_at, created_at.
    Never the payload (a password reset's holds the address someone typed)."""
    return list(db.session.execute(
        select(Job.id, Job.kind, Job.attempts, Job.last_error, Job.next_attempt_at,
               Job.failed_at, Job.claimed_at, Job.created_at)
        .where(or_(Job.failed_at.is_not(None), Job.attempts > 0))
        .order_by(Job.failed_at.is_(None), Job.next_attempt_at, Job.id)
        .limit(OUTBOX_SHOWN)))


def outbox_failed_count() -> int:
    """Mails and jobs failed for good (one statement, on the failure indexes' columns)."""
    mails = select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.failed_at.is_not(None), OutgoingMail.sent_at.is_(None)).scalar_subquery()
    failed_jobs = select(func.count()).select_from(Job).where(
        Job.failed_at.is_not(None)).scalar_subquery()
    return db.session.scalar(select(mails + failed_jobs)) or 0


def outbox_oldest_due():
    """When the oldest mail or job nobody has taken became due (None: nothing waits). Long
    ago means no worker runs."""
    mails = select(func.min(OutgoingMail.next_attempt_at)).where(
        OutgoingMail.sent_at.is_(None), OutgoingMail.failed_at.is_(None),
        OutgoingMail.claimed_at.is_(None)).scalar_subquery()
    waiting_jobs = select(func.min(Job.next_attempt_at)).where(
        Job.failed_at.is_(None), Job.claimed_at.is_(None)).scalar_subquery()
    first, second = db.session.execute(select(mails, waiting_jobs)).one()
    return min((when for when in (first, second) if when is not None), default=None)
