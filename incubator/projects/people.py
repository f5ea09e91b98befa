"""Who carries and who follows a project: its holders and its advisor.

Each change is recorded as a ProjectEvent (the timeline reads them) and is made from the
project's version the user saw (``versions.save_version``: the board's cards show holders
and advisor, and two people changing them from the same page cannot both win). Flush, never
commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.services import EmailTaken, create_user, find_user_by_email, in_their_language
from ..extensions import db
from ..mail import send_mail
from ..models import Project, ProjectEvent, ProjectHolder, Role, User, utcnow
from ..permissions import active_staff, can_be_advisor, can_be_holder
from ..tokens import make_password_token
from ..urls import absolute_url
from ..versions import check_version, save_version


class PeopleError(ValueError):
    """A change of holders or advisor that cannot be made (message for the user)."""


def record(project: Project, kind: str, actor: User | None, subject: User | None = None,
           **detail) -> ProjectEvent:
    event = ProjectEvent(project_id=project.id, kind=kind, actor_id=actor.id if actor else None,
                         subject_id=subject.id if subject else None, detail=detail)
    db.session.add(event)
    return event


def staff_members() -> list[User]:
    """Active advisors and managers, who may be assigned to a project."""
    return list(db.session.scalars(
        select(User).where(active_staff())
        .order_by(User.name)
    ))


def assign_advisor(project: Project, advisor_id: int | None, by: User,
                   seen_version: int | None) -> None:
    """Give the project an advisor (or none).

    Raises PeopleError (not an active advisor or manager) or versions.StaleVersion (the
    project changed since ``seen_version``)."""
    check_version(project, seen_version)
    advisor = None
    if advisor_id is not None:
        advisor = db.session.get(User, advisor_id)
        if advisor is None or not can_be_advisor(advisor):
            raise PeopleError(_("Choose an active advisor or manager."))
    if (advisor.id if advisor else None) == project.advisor_id:
        return
    save_version(project, seen_version, advisor_id=advisor.id if advisor else None,
                 last_activity_at=utcnow())
    record(project, "advisor_changed", by, advisor, name=advisor.name if advisor else None)
    db.session.flush()


def add_holder(project: Project, email: str, name: str, by: User) -> tuple[User, bool]:
    """Link an account to the project as a holder, creating (and inviting) a new person.

    Returns the holder and whether they were invited (the link goes to them only).
    Adding overwrites nothing, so it is not made from a version (a replay of the form is
    refused by its one-time token, the same person added twice by the primary key); it
    still bumps the version, which the board's cards and open forms rely on.
    Raises PeopleError (a staff or mentor account, a deactivated one, already a holder).
    """
    user = find_user_by_email(email)
    invited = False
    if user is None:
        try:
            user = create_user(email, name or email.split("@")[0], Role.HOLDER, None,
                               invited_by=by)
        except EmailTaken:
            # Created at this very moment by someone else: that account is the one to link.
            user = find_user_by_email(email)
            if user is None:
                raise PeopleError(_("Someone changed this in the meantime. Try again.")) from None
        else:
            invited = True
            with in_their_language(user):
                link = absolute_url("auth.set_password",
                                    token=make_password_token(user, "invite"))
                subject = _("You are invited to follow “%(title)s” on Incubateur",
                            title=project.title)
                body = _("Hello %(name)s,\n\n%(inviter)s added you as a holder of the project "
                         "“%(title)s” on Incubateur, the follow-up tool of the pole.\n\n"
                         "Choose your password here to see it:\n%(link)s\n",
                         name=user.name, inviter=by.name, title=project.title, link=link)
            send_mail(user.email, subject, body)
    if not can_be_holder(user):
        raise PeopleError(_("This address belongs to a staff or mentor account, which cannot "
                            "be a holder."))
    if not user.active:
        raise PeopleError(_("This account is deactivated."))
    already = _("%(name)s is already a holder of this project.", name=user.name)
    if db.session.get(ProjectHolder, (project.id, user.id)) is not None:
        raise PeopleError(already)
    # Two people adding the same holder at once: the primary key decides, in a savepoint.
    try:
        with db.session.begin_nested():
            db.session.add(ProjectHolder(project_id=project.id, user_id=user.id,
                                         added_by_id=by.id))
    except IntegrityError:
        raise PeopleError(already) from None
    save_version(project, project.version, last_activity_at=utcnow())
    record(project, "holder_added", by, user, name=user.name)
    db.session.flush()
    return user, invited


def remove_holder(project: Project, user_id: int, by: User, *,
                  seen_version: int | None) -> User:
    """Unlink a holder from the project.

    Raises PeopleError (not a holder of the project) or versions.StaleVersion (the project
    changed since ``seen_version``)."""
    check_version(project, seen_version)
    link = db.session.get(ProjectHolder, (project.id, user_id))
    if link is None:
        raise PeopleError(_("This person is not a holder of the project."))
    user = db.session.get(User, user_id)
    save_version(project, seen_version, last_activity_at=utcnow())
    db.session.delete(link)
    record(project, "holder_removed", by, user, name=user.name if user else "")
    db.session.flush()
    return user
