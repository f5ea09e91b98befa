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
from datetime import UTC, datetime

from flask import Flask, current_app, g, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .extensions import db
from .mail import send_mail
from .models import Notification, OutgoingMail, Project, User, utcnow


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
    if notification.project_id is None:
        return None
    return url_for("projects.show", project_id=notification.project_id, _external=external)


def notify(recipients: Iterable[User], kind: str, project: Project | None, actor: User | None,
           **detail) -> list[Notification]:
    """Tell ``recipients`` (never the actor themself, never an inactive account)."""
    if kind not in KINDS:
        raise ValueError(kind)
    if project is not None:
        detail.setdefault("title", project.title)
    seen: set[int] = set()
    created: list[Notification] = []
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
            _queue_mail(user, notification)
    db.session.flush()
    return created


def _queue_mail(user: User, notification: Notification) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = message(notification)
        body = _("Hello %(name)s,\n\n%(text)s\n", name=user.name, text=text)
        if notification.project_id is not None:
            body += "\n" + url_for("projects.show", project_id=notification.project_id,
                                   _external=True) + "\n"
        body += "\n" + _("You can turn these e-mails off on your notifications page: %(url)s",
                         url=url_for("notifications.index", _external=True)) + "\n"
        subject = _("Incubateur: %(text)s", text=text)[:200]
    mail = OutgoingMail(to=user.email, subject=subject, body=body)
    db.session.add(mail)
    db.session.flush()
    g.setdefault("queued_mail", []).append(mail.id)


def send_queued(ids: Iterable[int] | None = None, max_attempts: int = 5) -> tuple[int, int]:
    """Send queued e-mails (those given, or every pending one). Returns (sent, failed)."""
    statement = select(OutgoingMail).where(OutgoingMail.sent_at.is_(None),
                                           OutgoingMail.attempts < max_attempts)
    if ids is not None:
        statement = statement.where(OutgoingMail.id.in_(list(ids)))
    sent = failed = 0
    for mail in db.session.scalars(statement.order_by(OutgoingMail.id)).all():
        mail.attempts += 1
        if send_mail(mail.to, mail.subject, mail.body):
            mail.sent_at = datetime.now(UTC)
            mail.last_error = None
            sent += 1
        else:
            mail.last_error = "send failed (see the log)"
            failed += 1
        db.session.commit()
    return sent, failed


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
    else:
        response.call_on_close(work)
    return response


def register_notify(app: Flask) -> None:
    app.after_request(_dispatch)

    @app.cli.command("send-mail")
    def send_mail_command() -> None:
        """Send the queued e-mails that are still pending (run it from cron)."""
        import click

        sent, failed = send_queued()
        click.echo(f"{sent} sent, {failed} failed.")


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> None:
    from sqlalchemy import update

    statement = update(Notification).where(Notification.user_id == user.id,
                                           Notification.read_at.is_(None))
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    db.session.execute(statement.values(read_at=utcnow()))
