"""Reads of the notes: what a user may see of a project's notes, their previous versions,
and the notes' place in the project timeline.

Holders see shared notes only; staff see every note; a project's mentors see the shared
notes and those its mentors wrote (``permissions.visible_notes``). Deleted notes are never
listed; the timeline still says they existed and who deleted them, never what they said.
Each read states its eager loading, so the section costs at most two statements whatever
the number of notes or edits.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Note, NoteRevision, Project, User
from ..permissions import can_manage_note, can_write_note, sees_internal, visible_notes
from ..timeline import TimelineEntry


def _visible(user: User, project: Project, *, deleted_too: bool = False) -> Select:
    statement = select(Note).where(Note.project_id == project.id)
    if not deleted_too:
        statement = statement.where(Note.deleted_at.is_(None))
    statement = statement.where(visible_notes(user, project))
    return statement.options(joinedload(Note.author))


def notes_of(user: User, project: Project) -> list[Note]:
    """The notes ``user`` may read, the most recent meeting first."""
    statement = _visible(user, project).order_by(
        Note.happened_on.desc(), Note.created_at.desc(), Note.id.desc()
    )
    return list(db.session.scalars(statement))


def note_of(user: User, project: Project, note_id: int) -> Note | None:
    """One note of ``project``, if ``user`` may read it (else None: answer 404)."""
    return db.session.scalars(_visible(user, project).where(Note.id == note_id)).one_or_none()


def deleted_note_of(user: User, project: Project, note_id: int) -> Note | None:
    """A deleted note of ``project`` that ``user`` could read before (an edit of it arriving
    late is told so); None otherwise."""
    return db.session.scalars(_visible(user, project, deleted_too=True).where(
        Note.id == note_id, Note.deleted_at.is_not(None))).one_or_none()


def revisions_of(user: User, project: Project, notes: list[Note]) -> dict[int, list[NoteRevision]]:
    """Previous versions of the edited ``notes``, newest first, for staff only: a holder
    never reads them (an earlier version may have been internal)."""
    edited = [note.id for note in notes if note.updated_at is not None]
    if not edited or not sees_internal(user, project):
        return {}
    revisions: dict[int, list[NoteRevision]] = defaultdict(list)
    statement = (
        select(NoteRevision)
        .where(NoteRevision.note_id.in_(edited))
        .options(joinedload(NoteRevision.edited_by))
        .order_by(NoteRevision.edited_at.desc(), NoteRevision.id.desc())
    )
    for revision in db.session.scalars(statement):
        revisions[revision.note_id].append(revision)
    return dict(revisions)


def note_context(user: User, project: Project, notes: list[Note]) -> dict[str, Any]:
    """What the note fragments need besides the notes: previous versions, which notes the
    user may change, whether visibility badges are shown."""
    writer = can_write_note(user, project)
    return {
        "note_revisions": revisions_of(user, project, notes),
        "manageable_notes": {n.id for n in notes if can_manage_note(user, n.author_id)}
        if writer else set(),
        # Who writes notes chooses who reads them, so sees which they are.
        "notes_show_visibility": writer,
    }


def section(user: User, project: Project) -> dict[str, Any]:
    """What the section shows on the project page (template context; its form is built by
    the page, see ``notes.forms.section_forms``)."""
    notes = notes_of(user, project)
    return {
        "notes": notes,
        **note_context(user, project, notes),
    }


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """One entry per note the user may read, deleted ones included ("note written", its kind,
    who wrote it), and one per deletion (by whom, when). A holder sees neither for an
    internal note; no entry shows a body."""
    statement = _visible(user, project, deleted_too=True).options(joinedload(Note.deleted_by))
    entries = []
    for note in db.session.scalars(statement):
        entries.append(TimelineEntry("note", note.created_at, note, "notes/_timeline_entry.html"))
        if note.deleted_at is not None:
            entries.append(TimelineEntry("note_deleted", note.deleted_at, note,
                                         "notes/_timeline_deleted.html"))
    return entries
