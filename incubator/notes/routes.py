"""Notes (suivi) on the project page: write, edit, delete, with htmx or plain forms.

Every route loads the project the way the project page does (404 when the user may not see
it), then the note within that project (404 when it is elsewhere, deleted, or internal and
the user is a holder), then checks the right to write (403). htmx requests get fragments
(and ``Vary: HX-Request``); plain requests get a page or a 303 back to the project page.
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import (
    back_to_project,
    focus_on,
    is_htmx,
    page_or_fragment,
    project_done,
    project_url,
    render,
)
from ..i18n import date_short
from ..models import Note, Project
from ..permissions import can_manage_note, can_write_note
from ..permissions import visible_project_or_404 as _project
from ..versions import StaleVersion
from . import bp, queries
from .forms import NOTE_KIND_LABELS, VISIBILITY_LABELS, NoteDeleteForm, NoteEditForm, NoteForm
from .services import create_note, delete_note, update_note


@bp.app_context_processor
def _note_labels() -> dict:
    # The note fragments are also rendered inside the project page and its timeline.
    return {"note_kinds": NOTE_KIND_LABELS, "note_visibilities": VISIBILITY_LABELS}



def _note(project: Project, note_id: int) -> Note:
    note = queries.note_of(current_user, project, note_id)
    if note is None:
        abort(404)
    return note


def _may_write(project: Project) -> None:
    if not can_write_note(current_user, project):
        abort(403)


def _may_change(project: Project, note: Note) -> None:
    _may_write(project)
    if not can_manage_note(current_user, note.author_id):
        abort(403)


def _list_context(project: Project) -> dict:
    notes = queries.notes_of(current_user, project)
    return {"project": project, "notes": notes,
            **queries.note_context(current_user, project, notes)}


def _note_context(project: Project, note: Note) -> dict:
    return {"project": project, "note": note,
            **queries.note_context(current_user, project, [note])}


# Reading


@bp.get("/projects/<int:project_id>/notes")
@login_required
def index(project_id: int):
    """The list of notes: a fragment for htmx, the project page otherwise."""
    project = _project(project_id)
    if not is_htmx():
        return back_to_project(project, dom_id(project, "notes"))
    return render("notes/_list.html", **_list_context(project))


@bp.get("/projects/<int:project_id>/notes/<int:note_id>")
@login_required
def show(project_id: int, note_id: int):
    """One note: a fragment for htmx (closing its edit form; the focus goes back to its
    "Edit" link), the project page otherwise."""
    project = _project(project_id)
    note = _note(project, note_id)
    if not is_htmx():
        return back_to_project(project, dom_id(note))
    return focus_on(render("notes/_note.html", **_note_context(project, note)),
                    dom_id(note, "edit"))


# Writing


@bp.post("/projects/<int:project_id>/notes")
@login_required
def create(project_id: int):
    project = _project(project_id)
    _may_write(project)
    form = NoteForm()
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("note", project.id)
        except once.AlreadyUsed as used:
            db.session.rollback()
            return once.replayed(
                project_url(project, dom_id(Note, id=used.id) if used.id
                                else dom_id(project, "notes")),
                _("This note was already added: here it is."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if not valid:
        return page_or_fragment("notes/new.html", "notes/_form.html", 422, project=project,
                                note_form=form)
    note = create_note(project, current_user, **form.values())
    once.created(ticket, note)
    db.session.commit()
    project = _project(project_id)  # read again: the commit expired what was loaded
    return project_done(_("Note added."), project, "notes/_form.html",
                        oob=("notes/_list.html",), anchor=dom_id(note), focus=dom_id(note), inline=True,
                        note_form=NoteForm(formdata=None), **_list_context(project))


def _render_edit(project: Project, note: Note, form: NoteEditForm, status: int = 200,
                 conflict: bool = False):
    return page_or_fragment("notes/edit.html", "notes/_edit_form.html", status,
                            project=project, note=note, form=form, conflict=conflict,
                            **queries.note_context(current_user, project, [note]))


@bp.get("/projects/<int:project_id>/notes/<int:note_id>/edit")
@login_required
def edit(project_id: int, note_id: int):
    """The edit form: in place of the note for htmx, as a page otherwise."""
    project = _project(project_id)
    note = _note(project, note_id)
    _may_change(project, note)
    return _render_edit(project, note,
                        NoteEditForm(formdata=None, obj=note, kept_kind=note.kind))


def _deleted_meanwhile(project: Project, note_id: int):
    """An edit of a note deleted since the editor opened it: 409 saying so. htmx: in the
    message area (the form with the text stays); plain: the text in a new-note form."""
    deleted = queries.deleted_note_of(current_user, project, note_id)
    if deleted is None:
        abort(404)
    _may_change(project, deleted)
    if is_htmx():
        fail(409, _("This note was deleted since you opened it, so your changes cannot be "
                    "saved. What you typed is still in the form: copy it into a new note if "
                    "you still need it."))
    form = NoteForm()
    form.form_errors.append(_("This note was deleted since you opened it. What you typed is "
                              "below, as a new note: send it if you still need it."))
    return page_or_fragment("notes/new.html", "notes/_form.html", 409, project=project,
                            note_form=form)


@bp.post("/projects/<int:project_id>/notes/<int:note_id>")
@login_required
def update(project_id: int, note_id: int):
    project = _project(project_id)
    note = queries.note_of(current_user, project, note_id)
    if note is None:
        return _deleted_meanwhile(project, note_id)
    _may_change(project, note)
    form = NoteEditForm(kept_kind=note.kind)
    if not form.validate_on_submit():
        return _render_edit(project, note, form, 422)
    try:
        changed = update_note(note, project, current_user, seen_version=form.version.data,
                              **form.values())
        db.session.commit()
    except StaleVersion:
        db.session.rollback()
        project = _project(project_id)
        note = queries.note_of(current_user, project, note_id)
        if note is None:
            return _deleted_meanwhile(project, note_id)
        # Keep what the user typed, now based on the current version: saving again is a
        # deliberate choice made after reading the current text.
        form.show_version(note.version)
        return _render_edit(project, note, form, 409, conflict=True)
    message = _("Note saved.") if changed else _("Nothing changed.")
    project = _project(project_id)
    note = _note(project, note_id)
    return project_done(message, project, "notes/_note.html", anchor=dom_id(note),
                        **_note_context(project, note))


def note_question(note: Note) -> str:
    """The confirmation asked before deleting ``note`` (it names the note: date, author)."""
    if note.author:
        return _("Delete the note of %(date)s by %(name)s?", date=date_short(note.happened_on),
                 name=note.author.name)
    return _("Delete the note of %(date)s?", date=date_short(note.happened_on))


def _already_deleted(project: Project, note_id: int):
    """A deletion of a note deleted since the page was loaded (by a colleague, in another tab,
    a Confirm pressed twice): 404 saying so, not "page not found". htmx: with the notes as
    they are now (the page no longer shows the note), the focus on their heading. Another
    note (or none): the plain 404."""
    deleted = queries.deleted_note_of(current_user, project, note_id)
    if deleted is None:
        abort(404)
    _may_change(project, deleted)
    message = _("This note was already deleted.")
    if not is_htmx():
        fail(404, message)
    response = project_done(message, project, "notes/_list.html", status=404,
                            anchor=dom_id(project, "notes"), category="info",
                            focus=dom_id(project, "notes") + "-title", **_list_context(project))
    response.headers["HX-Retarget"] = "#" + dom_id(project, "note-list")
    return response


@bp.post("/projects/<int:project_id>/notes/<int:note_id>/delete")
@login_required
def delete(project_id: int, note_id: int):
    project = _project(project_id)
    note = queries.note_of(current_user, project, note_id)
    if note is None:
        return _already_deleted(project, note_id)
    _may_change(project, note)
    form = NoteDeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if not confirmed():
        return ask_first(note_question(note), project_url(project, dom_id(note)),
                         action_label=_("Delete this note"))
    try:
        delete_note(note, current_user, seen_version=form.version.data)
        db.session.commit()
    except StaleVersion:
        db.session.rollback()
        message = _("Someone changed this note since you opened it: it is not deleted. "
                    "Here it is as it is now; delete it again if you still want to.")
        project = _project(project_id)
        if queries.note_of(current_user, project, note_id) is None:  # deleted meanwhile
            return _already_deleted(project, note_id)
        if not is_htmx():
            fail(409, message)
        return render("notes/_list.html", 409, notes_conflict=message,
                      **_list_context(project))
    project = _project(project_id)
    return project_done(_("Note deleted."), project, "notes/_list.html",
                        anchor=dom_id(project, "notes"),
                        focus=dom_id(project, "notes") + "-title", **_list_context(project))
