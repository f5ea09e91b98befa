"""The outbox page (/admin/outbox, issue 15): the mails and background jobs the worker could
not finish, for managers. A row waits for its next attempt (the delay grows: 1 min, 5 min,
30 min, 2 h, 12 h) or has failed for good after the last one; "retry now" makes it due at
once with a fresh round of attempts (``jobs.retry_now``: once, from the attempts the page
showed).

What is shown: a mail's recipient, subject, attempts, last error and next attempt, never its
body (a password or invitation mail holds a live link); a job's kind, never its payload (a
password reset's holds the address someone typed). Plain requests get the page and a 303
after a retry, htmx ones the ``#outbox-problems`` fragment.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import jobs
from ..extensions import db
from ..htmx import done, page_or_fragment
from ..models import Job, OutgoingMail, utcnow
from ..permissions import can_manage_outbox
from ..security_log import record
from . import bp
from .forms import RetryForm
from .queries import outbox_jobs, outbox_mails, outbox_oldest_due

#: What each kind of job does, in words (``jobs.handler`` kinds).
JOB_LABELS = {"password_reset": _l("Password reset link (the address typed is not shown)")}
MODELS = {"mails": OutgoingMail, "jobs": Job}
#: Work due for longer than this and taken by nobody: the worker is probably not running.
NO_WORKER_AFTER = timedelta(minutes=2)


def _context() -> dict:
    oldest = outbox_oldest_due()
    return {"mails": outbox_mails(), "jobs": outbox_jobs(), "job_labels": JOB_LABELS,
            "stalled_since": oldest if oldest and oldest < utcnow() - NO_WORKER_AFTER
            else None,
            "max_attempts": jobs.MAX_ATTEMPTS, "mail_model": OutgoingMail, "job_model": Job}


def _check() -> None:
    if not can_manage_outbox(current_user):
        abort(403)


@bp.get("/outbox")
@login_required
def outbox():
    """Failed and delayed mails and jobs."""
    _check()
    return page_or_fragment("admin/outbox.html", "admin/_outbox.html", **_context())


@bp.post("/outbox/<any(mails, jobs):kind>/<int:row_id>/retry")
@login_required
def retry_outbox(kind: str, row_id: int):
    """Try a failed or delayed mail or job again now (the worker takes it within seconds).
    Stale (retried already, being worked on, sent): an info message, nothing changed."""
    _check()
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    if jobs.retry_now(MODELS[kind], row_id, form.attempts.data):
        db.session.commit()
        jobs.work_queued()  # inline mode (development): sent before the answer
        record("outbox.retried", kind=kind, row_id=row_id)
        message = _("It will be tried again within a few seconds.")
        category = "success"
    else:
        db.session.rollback()
        message = _("Nothing to retry: it was tried again already, is being worked on, "
                    "or has been sent.")
        category = "info"
    return done(message, url_for("admin.outbox"), "admin/_outbox.html", category=category,
                focus="outbox-title", **_context())
