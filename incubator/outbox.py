"""The outbox: every e-mail the application sends is queued here, then sent by the worker.

``queue_mail`` writes an OutgoingMail row in the caller's transaction (notifications,
invitations, password links alike): the mail exists exactly when what caused it was
committed, and a process killed right after the commit loses nothing. The worker
(``flask --app incubator worker``, ``incubator.worker``) sends it, so a slow or broken
mail server never delays or breaks a request; a failure is retried later with a growing
delay and, after the last attempt, shown to managers (/admin/outbox): see ``incubator.jobs``
for the claim, back-off and failure rules. A ``secret`` mail holds a live link: its row is
deleted once sent, so the token never outlives the sending in a table.

A shared primitive: it knows nothing of what the mails say (see ``notifications``,
``auth.services``), only how they leave.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import delete, select, update

from . import jobs
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
    caller added before); the worker sends them once the caller has committed."""
    db.session.add_all(mails)
    db.session.flush()
    if mails:
        jobs.work_queued()


def queue_mail(to: str, subject: str, body: str, *, secret: bool = False) -> OutgoingMail:
    """Queue one mail (see ``queue``); ``secret`` when its body holds a live link."""
    mail = compose(to, subject, body, secret=secret)
    queue([mail])
    return mail


def send_claimed(ids: list[int], stop=None) -> tuple[int, int, list[int]]:
    """Send the mails the caller claimed (``jobs.claim(OutgoingMail, …)``), committing each
    outcome (so call it outside a request's own transaction). Returns (sent, failed, the ids
    left unsent because ``stop()`` became true: give them back with ``jobs.release``)."""
    sent = failed = 0
    # Plain rows, not objects: each commit below would expire objects and reload them.
    mails = {row.id: row for row in db.session.execute(
        select(OutgoingMail.id, OutgoingMail.to, OutgoingMail.subject, OutgoingMail.body,
               OutgoingMail.secret, OutgoingMail.attempts, OutgoingMail.created_at)
        .where(OutgoingMail.id.in_(ids)))} if ids else {}
    for position, mail_id in enumerate(ids):
        if stop is not None and stop():
            return sent, failed, ids[position:]
        mail = mails.get(mail_id)
        if mail is None:
            continue
        error = _deliver(mail)
        now = utcnow()
        if error is None:
            sent += 1
            if mail.secret:  # its link must not outlive the sending in a table
                statement = delete(OutgoingMail).where(OutgoingMail.id == mail_id)
            else:
                statement = update(OutgoingMail).where(OutgoingMail.id == mail_id).values(
                    sent_at=now, claimed_at=None, last_error=None)
            current_app.logger.info("Mail %s sent", mail_id)
        else:
            failed += 1
            statement = update(OutgoingMail).where(OutgoingMail.id == mail_id).values(
                **jobs.failure_values(mail.attempts, error, now))
            current_app.logger.warning("Mail %s not sent (attempt %s): %s", mail_id,
                                       mail.attempts, error)
        db.session.execute(statement.execution_options(synchronize_session=False))
        db.session.commit()
    return sent, failed, []


def message_local_part(mail_id: int, created_at) -> str:
    """The left part of a queued mail's Message-ID: the same for every attempt at one row
    (mails are at-least-once: a worker killed after the server took a mail but before the
    commit sends it again, and the copy carries the same Message-ID), different for two
    rows, even one whose id SQLite reused after a secret mail's row was deleted (the row's
    creation time, to the microsecond, is part of it). Keyed with SECRET_KEY (HMAC-SHA-256):
    recipients cannot read from it how many mails the pole has sent."""
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode() if isinstance(secret, str) else secret
    row = f"{mail_id}.{created_at:%Y%m%d%H%M%S%f}".encode()
    return "outbox." + hmac.new(key, row, hashlib.sha256).hexdigest()[:32]


def _deliver(mail) -> str | None:
    """Hand one mail to the mail server (or the log); the error, or None when it went."""
    try:
        if mailer.send_mail(mail.to, mail.subject, mail.body,
                            message_local=message_local_part(mail.id, mail.created_at)):
            return None
    except Exception as error:  # noqa: BLE001 — one bad mail must not stop the others
        current_app.logger.exception("Could not send mail %s", mail.id)
        return jobs.error_text(error)
    return "The mail server could not be reached or refused the message (see the log)."
