"""What to tell whom: in-app notifications and their e-mails, written in the caller's
transaction.

``notify`` records one Notification per recipient and, for those who did not turn e-mails
off, one mail rendered in the recipient's language, queued in the outbox (``incubator.outbox``
sends it after the response). The features' services call it, or one of the named events
below; the bell's reads are in ``queries``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import inspect, select, update

from .. import outbox
from ..extensions import db
from ..i18n import de
from ..models import (
    Notification,
    OutgoingMail,
    Project,
    ProjectHolder,
    Stage,
    User,
    utcnow,
)
from ..numbers import local_number
from ..reference import staff_members
from ..urls import absolute_url

# What can happen, and to whom it matters (see PRODUCT.md).
STAGE_CHANGED = "stage_changed"  # holders: their project changed stage
NOTE_SHARED = "note_shared"  # holders: a note was shared with them
DOCUMENT_SHARED = "document_shared"  # holders: a document was shared with them
NEXT_STEP_ASSIGNED = "next_step_assigned"  # anyone: a next step is theirs
IDEA_SUBMITTED = "idea_submitted"  # staff: a new idea arrived
PROJECT_MOVED = "project_moved"  # advisor: their project was moved by someone else
MENTOR_NOTE = "mentor_note"  # advisor: a mentor wrote a note on their project
MENTORING = "mentoring"  # advisor: a mentor linked, a mentorship ended, hours logged
HANDED_OVER = "handed_over"  # staff: a departing advisor's projects and steps are now theirs
CLOSURE_REQUESTED = "closure_requested"  # managers: someone asks that their account be closed
KINDS = (STAGE_CHANGED, NOTE_SHARED, DOCUMENT_SHARED, NEXT_STEP_ASSIGNED, IDEA_SUBMITTED,
         PROJECT_MOVED, MENTOR_NOTE, MENTORING, HANDED_OVER, CLOSURE_REQUESTED)


def _stage(detail: dict) -> str:
    """The stage's name as it was then, in the reader's language (French when the stage had
    no English name)."""
    locale = get_locale()
    if locale is not None and locale.language != "fr":
        return detail.get(f"stage_{locale.language}") or detail.get("stage", "")
    return detail.get("stage", "")


def message(notification: Notification) -> str:
    """The notification's sentence, in the current language."""
    detail = notification.detail or {}
    title = detail.get("title", "")
    if notification.kind == STAGE_CHANGED:
        return _("“%(title)s” moved to the stage %(stage)s.", title=title,
                 stage=_stage(detail))
    if notification.kind == NOTE_SHARED:
        return _("A note on “%(title)s” was shared with you.", title=title)
    if notification.kind == DOCUMENT_SHARED:
        return _("A document was added to “%(title)s”: %(name)s.", title=title,
                 name=detail.get("name", ""))
    if notification.kind == NEXT_STEP_ASSIGNED:
        return _("A next step on “%(title)s” is yours: %(step)s.", title=title,
                 step=detail.get("step", ""))
    if notification.kind == IDEA_SUBMITTED:
        return _("New idea submitted: “%(title)s”.", title=title)
    if notification.kind == MENTOR_NOTE:
        return _("%(actor)s (mentor) wrote a note on “%(title)s”.", title=title,
                 actor=detail.get("actor", ""))
    if notification.kind == PROJECT_MOVED:
        return _("“%(title)s”, which you follow, was moved to %(stage)s by %(actor)s.",
                 title=title, stage=_stage(detail), actor=detail.get("actor", ""))
    if notification.kind == MENTORING:
        return _mentoring_message(detail, title)
    if notification.kind == HANDED_OVER:
        return _("You replace %(from)s: %(projects)s and %(steps)s are now yours (hand-over by "
                 "%(actor)s).", actor=detail.get("actor", ""),
                 projects=ngettext("%(num)d project", "%(num)d projects",
                                   detail.get("projects", 0)),
                 steps=ngettext("%(num)d open next step", "%(num)d open next steps",
                                detail.get("steps", 0)),
                 **{"from": detail.get("from", "")})
    if notification.kind == CLOSURE_REQUESTED:
        return _("%(actor)s asks that their account be closed.", actor=detail.get("actor", ""))
    return title


def _mentoring_message(detail: dict, title: str) -> str:
    """The sentence of a mentoring notification (``detail["what"]``: linked, ended, hours)."""
    organisation = detail.get("organisation", "")
    what = detail.get("what")
    if what == "linked":
        return _("%(organisation)s now mentors “%(title)s”.", organisation=organisation,
                 title=title)
    if what == "changed":
        return _("The mentorship %(of_name)s on “%(title)s” was changed.",
                 of_name=de(organisation), title=title)
    if what == "ended":
        return _("The mentorship %(of_name)s on “%(title)s” ended.",
                 of_name=de(organisation), title=title)
    return _("%(hours)s h of mentoring logged by %(organisation)s on “%(title)s”.",
             hours=local_number(Decimal(detail.get("hours") or "0")), organisation=organisation, title=title)


def link(notification: Notification, external: bool = False) -> str | None:
    """The project's page, if the notification is about one. The caller decides whether the
    reader may still open it (see ``notifications.queries.linkable``)."""
    if notification.kind == CLOSURE_REQUESTED:
        return _url("closures.index", external)
    if notification.project_id is None:
        return None
    return _url("projects.show", external, project_id=notification.project_id)


def _url(endpoint: str, external: bool, **values) -> str:
    # Absolute links (e-mails) on the configured base URL, never on the request's Host.
    return absolute_url(endpoint, **values) if external else url_for(endpoint, **values)


def notify(recipients: Iterable[User], kind: str, project: Project | None, actor: User | None,
           /, **detail) -> list[Notification]:
    """Tell ``recipients`` (never the actor themself, never an inactive account).

    ``detail`` keeps what the sentence needs as it was at the time (the project's title is
    added); the first four are positional so that ``actor="a name"`` can be one of them.
    Raises ValueError for a ``kind`` not in KINDS."""
    created, mails = _rows(recipients, kind, project, actor, detail)
    # One flush (the outbox's): the rows of each table go in one batched INSERT, whatever
    # their number.
    outbox.queue(mails)
    return created


def _rows(recipients: Iterable[User], kind: str, project: Project | None, actor: User | None,
          detail: dict) -> tuple[list[Notification], list[OutgoingMail]]:
    """``notify``'s rows, added to the session but not flushed: the notifications, and the
    mails to queue. Raises ValueError for a ``kind`` not in KINDS."""
    if kind not in KINDS:
        raise ValueError(kind)
    if project is not None:
        detail.setdefault("title", project.title)
    seen: set[int] = set()
    created: list[Notification] = []
    mails: list[OutgoingMail] = []
    for user in recipients:
        if user is None or user.id in seen or not user.active:
            continue
        if actor is not None and user.id == actor.id:
            continue
        seen.add(user.id)
        notification = Notification(
            user_id=user.id, kind=kind, project_id=project.id if project else None,
            actor_id=actor.id if actor else None, detail=detail,
        )
        db.session.add(notification)
        created.append(notification)
        if user.email_notifications:
            mails.append(_mail_for(user, notification))
    return created, mails


def _mail_for(user: User, notification: Notification) -> OutgoingMail:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = message(notification)
        body = _("Hello %(name)s,\n\n%(text)s\n", name=user.name, text=text)
        if project_url := link(notification, external=True):
            body += "\n" + project_url + "\n"
        if settings_url := _url("notifications.index", True):
            body += "\n" + _("You can turn these e-mails off on your notifications page: "
                             "%(url)s", url=settings_url) + "\n"
        subject = _("Incubateur: %(text)s", text=text)
    return outbox.compose(user.email, subject, body)


# What sets notifications off outside the features that call ``notify`` themselves.

def project_moved(project: Project, by: User, stage: Stage) -> None:
    """``project`` changed stage on the board: its holders are told, and its advisor when
    someone else moved it. Two reads at most (holders, advisor) and the rows it writes, in
    one flush (on PostgreSQL one INSERT per table for both kinds; two fewer statements per
    move than a flush per kind). Raises ValueError only as ``notify`` does (its kinds are
    known: never)."""
    _created, mails = _rows(_holders(project), STAGE_CHANGED, project, by,
                            {"stage": stage.name, "stage_en": stage.name_en})
    if project.advisor_id is not None and project.advisor_id != by.id:
        advisor = db.session.get(User, project.advisor_id)
        mails += _rows([advisor], PROJECT_MOVED, project, by,
                       {"stage": stage.name, "stage_en": stage.name_en, "actor": by.name})[1]
    outbox.queue(mails)


def _holders(project: Project) -> list[User]:
    # The board loads them with the card: no second read then.
    if "holder_links" not in inspect(project).unloaded:
        return project.holders
    return list(db.session.scalars(
        select(User).join(ProjectHolder, ProjectHolder.user_id == User.id)
        .where(ProjectHolder.project_id == project.id)
    ))


def mentor_note(project: Project, by: User) -> None:
    """A mentor wrote a note on ``project``: its advisor is told (one read, the advisor).
    Raises ValueError only as ``notify`` does (its kind is known: never)."""
    if project.advisor_id is not None:
        advisor = db.session.get(User, project.advisor_id)
        notify([advisor], MENTOR_NOTE, project, by, actor=by.name)


def mentoring_changed(project: Project, by: User | None, what: str, **detail) -> None:
    """A mentor was linked to ``project``, a mentorship changed or ended, or hours were
    logged (``what``: linked, changed, ended, hours): its advisor is told, unless they did it. One read
    (the advisor) at most. Raises ValueError only as ``notify`` does (never)."""
    if project.advisor_id is None or (by is not None and project.advisor_id == by.id):
        return
    advisor = db.session.get(User, project.advisor_id)
    notify([advisor], MENTORING, project, by, what=what, **detail)


def idea_submitted(project: Project, by: User) -> None:
    """A draft entered the pipeline: every active advisor and manager is told. Raises
    ValueError only as ``notify`` does (its kind is known: never)."""
    notify(staff_members(), IDEA_SUBMITTED, project, by)


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (those given, or all); returns how many changed.
    Objects already loaded keep their state: a page renders what was unread."""
    statement = update(Notification).where(Notification.user_id == user.id,
                                           Notification.read_at.is_(None))
    if notification_ids is not None:
        ids = list(notification_ids)
        if not ids:
            return 0
        statement = statement.where(Notification.id.in_(ids))
    result = db.session.execute(statement.values(read_at=utcnow())
                                .execution_options(synchronize_session=False))
    return result.rowcount


def handed_over(receiving: User, by: User, departing: User, projects: int, steps: int) -> None:
    """A manager handed ``departing``'s projects and open next steps to ``receiving``: they
    are told (one notification, not one per project). Raises ValueError only if
    HANDED_OVER left KINDS (``notify``)."""
    notify([receiving], HANDED_OVER, None, by, actor=by.name, projects=projects, steps=steps,
           **{"from": departing.name})


def closure_requested(managers: Iterable[User], by: User) -> None:
    """``by`` asked that their account be closed: the active managers are told (in the app
    and by e-mail unless they turned e-mails off), with a link to the list of requests.
    The reason typed stays in the request, never in a notification or an e-mail. Raises
    ValueError only if CLOSURE_REQUESTED left KINDS (``notify``)."""
    notify(managers, CLOSURE_REQUESTED, None, by, actor=by.name)
