"""Notifications: in-app rows and queued e-mails, written in the caller's transaction.

``notify`` records one Notification per recipient and, for those who did not turn e-mails
off, one OutgoingMail rendered in the recipient's language. The mails are sent after the
response (in a thread, or inline when MAIL_ASYNC is off, as in tests) so a slow or broken
mail server never delays or breaks the request; failures stay queued with their error and
``flask --app incubator send-mail`` retries them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app, g, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, inspect, or_, select, update

from . import mail as mailer
from .extensions import db
from .models import (
    Notification,
    OutgoingMail,
    Project,
    ProjectHolder,
    Stage,
    User,
    utcnow,
)
from .permissions import active_staff
from .urls import absolute_url

# What can happen, and to whom it matters (see PRODUCT.md).
STAGE_CHANGED = "stage_changed"  # holders: their project changed stage
NOTE_SHARED = "note_shared"  # holders: a note was shared with them
DOCUMENT_SHARED = "document_shared"  # holders: a document was shared with them
NEXT_STEP_ASSIGNED = "next_step_assigned"  # anyone: a next step is theirs
IDEA_SUBMITTED = "idea_submitted"  # staff: a new idea arrived
PROJECT_MOVED = "project_moved"  # advisor: their project was moved by someone else
KINDS = (STAGE_CHANGED, NOTE_SHARED, DOCUMENT_SHARED, NEXT_STEP_ASSIGNED, IDEA_SUBMITTED,
         PROJECT_MOVED)


def message(notification: Notification) -> str:
    """The notification's sentence, in the current language."""
    detail = notification.detail or {}
    title = detail.get("title", "")
    if notification.kind == STAGE_CHANGED:
        return _("“%(title)s” moved to the stage %(stage)s.", title=title,
                 stage=detail.get("stage", ""))
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
    if notification.kind == PROJECT_MOVED:
        return _("“%(title)s”, which you follow, was moved to %(stage)s by %(actor)s.",
                 title=title, stage=detail.get("stage", ""), actor=detail.get("actor", ""))
    return title


def link(notification: Notification, external: bool = False) -> str | None:
    """The project's page, if the notification is about one. The caller decides whether the
    reader may still open it (see ``notifications.queries.linkable``)."""
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
    added); the first four are positional so that ``actor="a name"`` can be one of them."""
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
    db.session.add_all(mails)
    # One flush: the rows of each table go in one batched INSERT, whatever their number.
    db.session.flush()
    if mails:
        g.setdefault("queued_mail", []).extend(mail.id for mail in mails)
    return created


def _mail_for(user: User, notification: Notification) -> OutgoingMail:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = message(notification)
        body = _("Hello %(name)s,\n\n%(text)s\n", name=user.name, text=text)
        if project_url := link(notification, external=True):
            body += "\n" + project_url + "\n"
        if settings_url := _url("notifications.index", True):
            body += "\n" + _("You can turn these e-mails off on your notifications page: "
                             "%(url)s", url=settings_url) + "\n"
        subject = mailer.one_line(_("Incubateur: %(text)s", text=text))[:200]
    return OutgoingMail(to=user.email, subject=subject, body=body)


# A mail never tried is the business of the request that queued it for this long; after it,
# ``send-mail`` takes it over. One claimed but neither sent nor failed is being sent: left
# alone, unless it is old enough for its sender to have died.
UNTRIED_GRACE = timedelta(minutes=2)
STUCK_AFTER = timedelta(hours=1)


def send_queued(ids: Iterable[int] | None = None, max_attempts: int = 5) -> tuple[int, int]:
    """Send queued e-mails (those given, or every pending one). Returns (sent, failed).

    Each mail is claimed before it is sent (attempts + 1 in an UPDATE that checks the count
    it read, committed), so two senders running at once (the thread of a request and a cron
    ``send-mail``, or two cron runs) never both send it. The outcome is committed mail by
    mail (so call it outside a request's own transaction): a failure keeps the mail queued
    with its error, and the rest carries on.
    """
    statement = select(OutgoingMail.id, OutgoingMail.attempts).where(
        OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < max_attempts)
    if ids is not None:
        statement = statement.where(OutgoingMail.id.in_(list(ids)))
    else:
        now = utcnow()
        statement = statement.where(or_(
            OutgoingMail.last_error.is_not(None),
            and_(OutgoingMail.attempts == 0, OutgoingMail.created_at <= now - UNTRIED_GRACE),
            OutgoingMail.created_at <= now - STUCK_AFTER,
        ))
    pending = db.session.execute(statement.order_by(OutgoingMail.id)).all()
    sent = failed = 0
    for mail_id, attempts in pending:
        claimed = db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id, OutgoingMail.attempts == attempts,
                   OutgoingMail.sent_at.is_(None))
            .values(attempts=attempts + 1, last_error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue  # another sender has it
        mail = db.session.get(OutgoingMail, mail_id)
        error = _deliver(mail)
        if error is None:
            mail.sent_at = utcnow()
            sent += 1
        else:
            mail.last_error = error
            failed += 1
        db.session.commit()
    return sent, failed


def _deliver(mail: OutgoingMail) -> str | None:
    """Hand one mail to the mail server (or the log); the error, or None when it went."""
    try:
        if mailer.send_mail(mail.to, mail.subject, mail.body):
            return None
    except Exception as error:  # noqa: BLE001 — one bad mail must not stop the others
        current_app.logger.exception("Could not send mail %s", mail.id)
        return f"{type(error).__name__}: {error}"[:1000]
    return "The mail server could not be reached or refused the message (see the log)."


def _dispatch(response):
    """After the request: send the mails it queued, without making the user wait."""
    ids = g.pop("queued_mail", None)
    if not ids or response.status_code >= 400:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                send_queued(ids)
            except Exception:  # noqa: BLE001 — never let mail break anything
                app.logger.exception("Sending queued mail failed")
            finally:
                db.session.remove()

    if app.config.get("MAIL_ASYNC", True):
        threading.Thread(target=work, daemon=True).start()
    else:  # tests: inline, once the request has committed, before the client reads the answer
        work()
    return response


def register_notify(app: Flask) -> None:
    app.after_request(_dispatch)

    @app.cli.command("send-mail")
    def send_mail_command() -> None:
        """Send the queued e-mails that are still pending (run it from cron)."""
        import click

        sent, failed = send_queued()
        click.echo(f"{sent} sent, {failed} failed.")


# What sets notifications off outside the features that call ``notify`` themselves.

def project_moved(project: Project, by: User, stage: Stage) -> None:
    """``project`` changed stage on the board: its holders are told, and its advisor when
    someone else moved it. Two reads at most (holders, advisor) and the rows it writes."""
    notify(_holders(project), STAGE_CHANGED, project, by, stage=stage.name)
    if project.advisor_id is not None and project.advisor_id != by.id:
        advisor = db.session.get(User, project.advisor_id)
        notify([advisor], PROJECT_MOVED, project, by, stage=stage.name, actor=by.name)


def _holders(project: Project) -> list[User]:
    # The board loads them with the card: no second read then.
    if "holder_links" not in inspect(project).unloaded:
        return project.holders
    return list(db.session.scalars(
        select(User).join(ProjectHolder, ProjectHolder.user_id == User.id)
        .where(ProjectHolder.project_id == project.id)
    ))


def idea_submitted(project: Project, by: User) -> None:
    """A draft entered the pipeline: every active advisor and manager is told."""
    staff = db.session.scalars(
        select(User).where(active_staff())
        .order_by(User.id)
    ).all()
    notify(staff, IDEA_SUBMITTED, project, by)


# Reading.

def unread_count(user: User) -> int:
    """The bell's number: one COUNT on the (user_id, read_at) index."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


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
