"""The outbox: every e-mail the application sends is queued here, then sent.

``queue_mail`` writes an OutgoingMail row in the caller's transaction (notifications,
invitations, password links alike). The mails are sent after the response (in a thread, or
inline when MAIL_ASYNC is off, as in tests) so a slow or broken mail server never delays or
breaks the request; failures stay queued with their error and
``flask --app incubator send-mail`` retries them. A ``secret`` mail holds a live link: its
row is deleted once sent, so the token never outlives the sending in a table.

A shared primitive: it knows nothing of what the mails say (see ``notifications``,
``auth.services``), only how they leave.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app, g
from sqlalchemy import and_, or_, select, update

from . import mail as mailer
from .extensions import db
from .models import OutgoingMail, utcnow
from .pole import mail_footer

SUBJECT_MAX = 200  # OutgoingMail.subject


def compose(to: str, subject: str, body: str, *, secret: bool = False) -> OutgoingMail:
    """A mail row, its subject on one line and within the column (not yet queued); the
    body ends with the pole's footer (name, postal address, contact e-mail)."""
    return OutgoingMail(to=to, subject=mailer.one_line(subject)[:SUBJECT_MAX],
                        body=body.rstrip("\n") + "\n" + mail_footer(), secret=secret)


def queue(mails: list[OutgoingMail]) -> None:
    """Add ``mails`` to the caller's transaction (one flush, which also writes whatever the
    caller added before) and have them sent after the response."""
    db.session.add_all(mails)
    db.session.flush()
    if mails:
        g.setdefault("queued_mail", []).extend(mail.id for mail in mails)


def queue_mail(to: str, subject: str, body: str, *, secret: bool = False) -> OutgoingMail:
    """Queue one mail (see ``queue``); ``secret`` when its body holds a live link."""
    mail = compose(to, subject, body, secret=secret)
    queue([mail])
    return mail


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
    with its error, and the rest carries on; a secret mail sent is deleted.
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
            sent += 1
            if mail.secret:  # its link must not outlive the sending in a table
                db.session.delete(mail)
            else:
                mail.sent_at = utcnow()
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


def register_outbox(app: Flask) -> None:
    app.after_request(_dispatch)

    @app.cli.command("send-mail")
    def send_mail_command() -> None:
        """Send the queued e-mails that are still pending (run it from cron)."""
        import click

        sent, failed = send_queued()
        click.echo(f"{sent} sent, {failed} failed.")
