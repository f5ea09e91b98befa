"""Writing notes: create, edit (keeping the previous text), soft delete.

Services flush and never commit; they tell the holders when a note becomes shared with them
(in the same transaction, so a refused change notifies no one).
"""

from __future__ import annotations

from datetime import date, datetime

from ..extensions import db
from ..models import Note, NoteRevision, Project, User, Visibility, utcnow
from ..notifications.services import NOTE_SHARED, mentor_note, notify
from ..permissions import writes_for_mentors
from ..versions import check_version, save_version


def _tell_holders(project: Project, actor: User) -> None:
    notify(project.holders, NOTE_SHARED, project, actor)


def create_note(project: Project, author: User, *, kind: str, happened_on: date, body: str,
                visibility: str, now: datetime | None = None) -> Note:
    """A new note on ``project``; a shared one is announced to the holders, and one a
    mentor wrote to the project's advisor. ``now`` back-dates it (demo data only)."""
    now = now or utcnow()
    note = Note(project_id=project.id, author_id=author.id, kind=kind, happened_on=happened_on,
                body=body, visibility=visibility, version=1, created_at=now)
    db.session.add(note)
    project.last_activity_at = now
    db.session.flush()
    if note.visibility == Visibility.SHARED:
        _tell_holders(project, author)
    if writes_for_mentors(author):
        mentor_note(project, author)
    return note


def update_note(note: Note, project: Project, editor: User, *, seen_version: int, kind: str,
                happened_on: date, body: str, visibility: str) -> bool:
    """Change ``note`` if it is still at ``seen_version``; its previous state is kept as a
    NoteRevision. Returns False when nothing changed (no revision, no new version).

    The version test is part of the UPDATE itself, so two editors who read the same
    version cannot both win, even at the same instant. Raises versions.StaleVersion when the note is no
    longer at ``seen_version`` (see versions.save_version); the caller rolls back, and the
    revision row goes with it.
    """
    check_version(note, seen_version)
    before = {"kind": note.kind, "happened_on": note.happened_on, "body": note.body,
              "visibility": note.visibility}
    after = {"kind": kind, "happened_on": happened_on, "body": body, "visibility": visibility}
    if before == after:
        return False
    now = utcnow()
    save_version(note, seen_version, where=(Note.deleted_at.is_(None),), **after,
                 updated_at=now)
    db.session.add(NoteRevision(note_id=note.id, edited_by_id=editor.id, edited_at=now,
                                **before))
    db.session.flush()
    if before["visibility"] != Visibility.SHARED and visibility == Visibility.SHARED:
        _tell_holders(project, editor)
    return True


def delete_note(note: Note, actor: User, *, seen_version: int | None) -> None:
    """Soft delete: the row stays (with its revisions) but no list shows it any more.

    Raises versions.StaleVersion when the note changed (or was deleted) since ``seen_version``: one does
    not delete a text one has not read."""
    save_version(note, seen_version, where=(Note.deleted_at.is_(None),),
                 deleted_at=utcnow(), deleted_by_id=actor.id)
    db.session.flush()
