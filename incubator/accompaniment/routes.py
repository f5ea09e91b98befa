"""Accompaniment time on the project page: the « Temps d'accompagnement » section (all its
entries on request), log time (the section's form, submitted once), change an entry (its own
page, version-checked: a stale page gets 409 with its input), delete one (confirmation,
version-checked).

htmx requests from the section get the section back (``project_done``: the timeline reloads
on ``project-changed``); plain requests get a 303 back to the project page, or the page of
the section (or of the entry) with the form's errors (422) or the conflict (409).
"""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..dom import dom_id
from ..extensions import db
from ..htmx import (
    focus_on,
    hx_redirect,
    is_htmx,
    page_or_fragment,
    project_done,
    project_or_abort,
    project_url,
    render,
)
from ..i18n import date_long
from ..labels import ACCOMPANIMENT_KIND_LABELS
from ..models import AccompanimentTime, Project, User
from ..params import parse_int
from ..permissions import can_change_accompaniment, can_log_accompaniment, sees_accompaniment
from ..versions import StaleVersion
from . import bp, queries, services
from .durations import format_minutes
from .forms import DeleteForm, TimeForm, blank_form


@bp.app_template_filter("duration")
def _duration(minutes: int | None) -> str:
    return format_minutes(minutes)


@bp.app_context_processor
def _labels() -> dict:
    # For the section and the timeline's lines.
    return {"accompaniment_kinds": ACCOMPANIMENT_KIND_LABELS}


def _stale() -> str:
    return _("Someone changed this entry since you opened the page: here it is as it is "
             "now; your input is kept below.")


def _may_see(project_id: int) -> Project:
    return project_or_abort(project_id, sees_accompaniment)


def _entry(project: Project, entry_id: int) -> AccompanimentTime:
    """The entry of that project the user may change (404: not this project's; 403)."""
    entry = queries.entry_of(project.id, entry_id)
    if entry is None:
        abort(404)
    if not can_change_accompaniment(current_user, entry.advisor_id, entry.created_by_id):
        abort(403)
    return entry


def _anchor(project: Project, entry_id: int | None = None) -> str:
    if entry_id is not None:
        return project_url(project, dom_id(AccompanimentTime, id=entry_id))
    return project_url(project, dom_id(project, "accompaniment"))


def _section(project: Project, time_form: TimeForm | None = None, complete: bool = False,
             **more) -> dict:
    form = time_form
    if form is None and can_log_accompaniment(current_user, project):
        form = blank_form(current_user, project)
    return {"project": project, "time_form": form,
            **queries.section(current_user, project, complete), **more}


def _advisor(form: TimeForm) -> User | None:
    """Who spent the time: the one chosen (managers), else the user."""
    if "advisor_id" not in form:
        return current_user
    if form.advisor_id.data is None:  # left empty ("Optional" skips the form's own check)
        return None
    return db.session.get(User, form.advisor_id.data)


@bp.get("/projects/<int:project_id>/accompaniment")
@login_required
def index(project_id: int):
    """Every entry of the project: the section for htmx ("Show all"), a page otherwise."""
    project = _may_see(project_id)
    response = page_or_fragment("accompaniment/index.html", "accompaniment/_section.html",
                                **_section(project, complete=True))
    if not is_htmx():
        return response
    # The link that asked is gone with the swap: the list takes the focus.
    return focus_on(response, dom_id(project, "accompaniment") + "-list")


@bp.post("/projects/<int:project_id>/accompaniment")
@login_required
def log(project_id: int):
    project = _may_see(project_id)
    if not can_log_accompaniment(current_user, project):
        abort(403)
    form = TimeForm().for_project(current_user, project)
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("accompaniment", project.id)
        except once.AlreadyUsed as used:
            db.session.rollback()
            return once.replayed(_anchor(project, used.id),
                                 _("This time was already logged: here it is."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if valid:
        advisor = _advisor(form)
        if advisor is None:
            form.advisor_id.errors = [_("Choose who spent the time.")]
        else:
            try:
                entry = services.log_time(current_user, project, advisor,
                                          spent_on=form.spent_on.data, minutes=form.minutes,
                                          kind=form.kind.data, note=form.note.data or "")
            except services.AccompanimentError as error:
                db.session.rollback()
                project = _may_see(project_id)
                form.for_project(current_user, project)
                form.form_errors.append(str(error))
            else:
                once.created(ticket, entry)
                db.session.commit()
                project = _may_see(project_id)
                message = _("Time logged: %(duration)s on %(date)s.",
                            duration=format_minutes(entry.minutes),
                            date=date_long(entry.spent_on))
                return project_done(message, project, "accompaniment/_section.html",
                                    anchor=dom_id(entry),
                                    focus=dom_id(project, "accompaniment-total"),
                                    **_section(project))
    return page_or_fragment("accompaniment/index.html", "accompaniment/_section.html", 422,
                            **_section(project, form, complete=not is_htmx(), open_form=True))


@bp.route("/projects/<int:project_id>/accompaniment/<int:entry_id>/edit",
          methods=["GET", "POST"])
@login_required
def change(project_id: int, entry_id: int):
    """Change an entry (its own page, a plain form; version-checked)."""
    project = _may_see(project_id)
    entry = _entry(project, entry_id)
    if request.method == "GET":
        form = TimeForm(formdata=None, spent_on=entry.spent_on,
                        duration=format_minutes(entry.minutes), kind=entry.kind,
                        note=entry.note, version=entry.version)
        form.for_project(current_user, project, entry)
        return render("accompaniment/edit.html", project=project, entry=entry, edit_form=form)
    form = TimeForm().for_project(current_user, project, entry)
    status = 422
    if form.validate_on_submit():
        advisor = _advisor(form)
        if advisor is None:
            form.advisor_id.errors = [_("Choose who spent the time.")]
        elif "advisor_id" not in form and entry.advisor_id is not None:
            advisor = entry.advisor  # an advisor changes their time, never whose it is
        if advisor is not None:
            try:
                changed = services.change_time(
                    current_user, project, entry, advisor, spent_on=form.spent_on.data,
                    minutes=form.minutes, kind=form.kind.data, note=form.note.data or "",
                    seen_version=form.seen_version())
            except services.AccompanimentError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
            except StaleVersion:
                db.session.rollback()
                status = 409
                form.form_errors.append(_stale())
            else:
                db.session.commit()
                flash(_("Entry changed.") if changed else _("Nothing to change."),
                      "success" if changed else "info")
                return hx_redirect(_anchor(project, entry_id))
        project = _may_see(project_id)
        current = queries.entry_of(project.id, entry_id)
        if current is None:  # deleted meanwhile
            abort(404)
        entry = current
        form.for_project(current_user, project, entry)
        form.show_version(entry.version)
    return render("accompaniment/edit.html", status, project=project, entry=entry,
                  edit_form=form, conflict=status == 409)


@bp.route("/projects/<int:project_id>/accompaniment/<int:entry_id>/delete",
          methods=["GET", "POST"])
@login_required
def delete(project_id: int, entry_id: int):
    """The confirmation page (GET; htmx: the section's confirmation asks in place), then
    the deletion (version-checked; an entry changed since comes back with 409)."""
    project = _may_see(project_id)
    entry = _entry(project, entry_id)
    if request.method == "GET":
        return render("accompaniment/delete.html", project=project, entry=entry,
                      delete_form=DeleteForm(formdata=None, version=entry.version))
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    what = _("%(duration)s on %(date)s", duration=format_minutes(entry.minutes),
             date=date_long(entry.spent_on))
    try:
        services.delete_time(current_user, project, entry, parse_int(request.form.get("version")))
    except StaleVersion:
        db.session.rollback()
        project = _may_see(project_id)
        entry = _entry(project, entry_id)
        form.form_errors.append(_("Someone changed this entry since you opened the page: "
                                  "look at it again before deleting it."))
        form.show_version(entry.version)
        return render("accompaniment/delete.html", 409, project=project, entry=entry,
                      delete_form=form)
    db.session.commit()
    project = _may_see(project_id)
    return project_done(_("Time deleted: %(what)s.", what=what), project,
                        "accompaniment/_section.html",
                        anchor=dom_id(project, "accompaniment"),
                        focus=dom_id(project, "accompaniment-title"), **_section(project))
