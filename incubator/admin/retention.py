"""The retention settings (/admin/retention, issue 14): how long each kind of personal data
is kept, managers only. The durations and the purge are ``privacy.retention``'s; the privacy
notice is written from them.

Answers like the pole's settings: the page (plain) or the form fragment ``#retention-settings``
(htmx); a refused save comes back with its errors (422) or, when another manager saved since,
with the current durations shown and the input kept (409); a save reloads the page
(``HX-Redirect`` or 303) with its message and the history.
"""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..htmx import hx_redirect, page_or_fragment
from ..permissions import manager_required
from ..privacy import retention
from ..security_log import record
from ..versions import StaleVersion
from . import bp
from .retention_forms import RetentionForm


def _changed_words(fields: str) -> str:
    """What a save changed, in words (``RetentionSettingsVersion.changed_fields``)."""
    words = [str(retention.KIND_BY_CODE[code].label).lower() if code in retention.KIND_BY_CODE
             else code for code in fields.split(",") if code]
    return ", ".join(words)


def _render(form: RetentionForm, status: int = 200, conflict: bool = False):
    saved = retention.current_settings()
    return page_or_fragment(
        "admin/retention.html", "admin/_retention_form.html", status, form=form,
        conflict=conflict, saved=saved, saved_lines=retention.notice_lines(saved),
        kinds=retention.KINDS, history=retention.history(), last_run=retention.last_run(),
        changed_words=_changed_words, duration_words=retention.duration_words)


@bp.route("/retention", methods=["GET", "POST"])
@manager_required
def retention_settings():
    """The durations per kind of data. Saved from the version the page showed (409 with the
    input kept when someone saved since)."""
    if request.method == "GET":
        saved = retention.current_settings()
        return _render(RetentionForm.for_months(saved.months, saved.version))
    form = RetentionForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    try:
        changed = retention.save_settings(current_user, form.seen_version(), form.months())
    except StaleVersion:
        db.session.rollback()
        form.show_version(retention.current_settings().version)
        return _render(form, 409, conflict=True)
    db.session.commit()
    if changed:
        record("retention.changed", fields=changed)
        flash(_("The retention periods are saved. The privacy notice says so now."), "success")
    else:
        flash(_("Nothing changed: the retention periods are as they were."), "info")
    return hx_redirect(url_for("admin.retention_settings"))
