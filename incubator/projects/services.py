"""Writes around projects: creating, editing and submitting an idea; its people (holders
and advisor).

Services flush and record history themselves (a submission always writes its StageMove, a
change of people a ProjectEvent, which the timeline reads, and bumps the project's version,
which the board's cards show); the route commits once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..auth.services import EmailTaken, create_user, find_user_by_email, in_their_language
from ..extensions import db
from ..models import (
    Project,
    ProjectEvent,
    ProjectHolder,
    ProjectStatus,
    Role,
    StageMove,
    User,
    utcnow,
)
from ..notifications.services import idea_submitted
from ..outbox import queue_mail
from ..permissions import can_be_advisor, can_be_holder, is_pending_staff
from ..positions import place_at_end
from ..reference import first_stage
from ..stage_history import record_stage_move
from ..tokens import make_password_token
from ..urls import absolute_url
from ..versions import StaleVersion, check_version, save_version

EDITABLE_FIELDS = (
    "title", "pitch", "need", "target_public", "planned_activity", "theme_id", "commune",
    "kind", "legal_form_id", "jobs_envisaged", "jobs_created",
)


class NotSubmittable(ValueError):
    """The project is not a draft, or no stage is open to receive it."""


def euros_to_cents(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def field_values(data: dict[str, Any]) -> dict[str, Any]:
    """The project's column values from the idea form's data."""
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            if name in ("pitch", "need", "target_public", "planned_activity", "commune"):
                value = value or ""
            if name in ("jobs_envisaged", "jobs_created") and value is not None:
                value = value.quantize(Decimal("0.01"))  # the form refuses more decimals
            values[name] = value
    if "funding_need" in data:
        values["funding_need_cents"] = euros_to_cents(data["funding_need"])
    return values


def apply_fields(project: Project, data: dict[str, Any]) -> None:
    """Copy the idea form's values onto ``project``."""
    for name, value in field_values(data).items():
        setattr(project, name, value)


def create_project(author: User, data: dict[str, Any], *, as_holder: bool = True,
                   now: datetime | None = None) -> Project:
    """A new draft written by ``author`` (linked as its holder when ``as_holder``).
    ``now`` back-dates it (demo data only)."""
    now = now or utcnow()
    project = Project(
        status=ProjectStatus.DRAFT.value, created_by_id=author.id, created_at=now,
        last_activity_at=now,
    )
    apply_fields(project, data)
    db.session.add(project)
    db.session.flush()
    if as_holder:
        db.session.add(ProjectHolder(project_id=project.id, user_id=author.id,
                                     added_by_id=author.id, added_at=now))
        db.session.flush()
    return project


def update_project(project: Project, data: dict[str, Any], by: User | None = None, *,
                   seen_version: int | None) -> None:
    """Save the description and key facts if the project is still at ``seen_version`` (the
    version the editor's form was rendered from); once submitted, the edit is recorded in
    the timeline.

    Raises versions.StaleVersion when someone changed the project since: the holder and
    the advisor editing from the same version do not both get "saved"."""
    jobs_before = project.jobs_created
    save_version(project, seen_version, **field_values(data), last_activity_at=utcnow())
    if by is not None and not project.is_draft:
        db.session.add(ProjectEvent(project_id=project.id, kind="description_edited",
                                    actor_id=by.id, detail={}))
        if "jobs_created" in data:
            record_jobs_created(project, by, jobs_before)
    db.session.flush()


def record_jobs_created(project: Project, by: User | None, before: Decimal | None, *,
                        now: datetime | None = None) -> None:
    """A ``jobs_created`` event on the timeline when the jobs a launched project created
    changed from ``before`` (detail: ``jobs`` and ``before``, as strings of FTE, or None)."""
    after = project.jobs_created
    if after == before:
        return
    db.session.add(ProjectEvent(
        project_id=project.id, kind="jobs_created", actor_id=by.id if by else None,
        at=now or utcnow(),
        detail={"jobs": None if after is None else str(after),
                "before": None if before is None else str(before)}))


def submit_project(project: Project, by: User, *, now: datetime | None = None) -> StageMove:
    """Send a draft into the pipeline: first stage, end of its column, one stage move.
    ``now`` back-dates it (demo data only).

    Raises NotSubmittable when the project is not a draft or no stage is active."""
    if project.status != ProjectStatus.DRAFT:
        raise NotSubmittable("not a draft")
    stage = first_stage()
    if stage is None:
        raise NotSubmittable("no active stage")
    now = now or utcnow()
    try:  # a second submission of the same draft (another tab) finds it submitted
        save_version(project, project.version,
                     where=(Project.status == ProjectStatus.DRAFT.value,),
                     status=ProjectStatus.ACTIVE.value, stage_id=stage.id, submitted_at=now,
                     stage_entered_at=now, last_activity_at=now)
    except StaleVersion:
        raise NotSubmittable("not a draft any more") from None
    move = record_stage_move(project.id, None, stage.id, moved_by_id=by.id, moved_at=now)
    db.session.flush()
    place_at_end(project, stage.id)
    idea_submitted(project, by)
    return move


class PeopleError(ValueError):
    """A change of holders or advisor that cannot be made (message for the user)."""


def record(project: Project, kind: str, actor: User | None, subject: User | None = None,
           **detail) -> ProjectEvent:
    event = ProjectEvent(project_id=project.id, kind=kind, actor_id=actor.id if actor else None,
                         subject_id=subject.id if subject else None, detail=detail)
    db.session.add(event)
    return event


def assign_advisor(project: Project, advisor_id: int | None, by: User,
                   seen_version: int | None) -> None:
    """Give the project an advisor (or none).

    Raises PeopleError (not an active advisor or manager) or versions.StaleVersion (the
    project changed since ``seen_version``)."""
    check_version(project, seen_version)
    advisor = None
    if advisor_id is not None:
        advisor = db.session.get(User, advisor_id)
        if advisor is not None and is_pending_staff(advisor):
            raise PeopleError(_("%(name)s has not accepted their invitation yet: choose "
                                "someone whose account is set up.", name=advisor.name))
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

    Returns the holder and whether they were invited (the link goes to them only, in a
    secret mail of the outbox). Raises PeopleError when the address cannot be a holder
    (staff or mentor, deactivated, already a holder), versions.StaleVersion if the project
    is gone. Adding overwrites nothing, so it is not made from a version (a replay of the form
    is refused by its one-time token, the same person added twice by the primary key); it
    still bumps the version, which the board's cards and open forms rely on.
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
            queue_mail(user.email, subject, body, secret=True)  # sent after the response
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
    """Unlink a holder (their account stays).

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
