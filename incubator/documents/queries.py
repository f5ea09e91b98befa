"""Reads for the project page's documents section and the project timeline.

Documents are listed without their content (a deferred column, and a raise-load here so a
template can never pull megabytes by accident); each read is one statement whatever the
number of documents.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import defer, joinedload, undefer

from ..extensions import db
from ..models import Document, Project, User, Visibility
from ..permissions import can_delete_document, sees_internal
from ..timeline import TimelineEntry


def _visible(user: User, project: Project) -> Select:
    """The documents of ``project`` that ``user`` may see (holders: shared ones only),
    deleted ones included."""
    statement = select(Document).where(Document.project_id == project.id)
    if not sees_internal(user, project):
        statement = statement.where(Document.visibility == Visibility.SHARED.value)
    return statement


def visible_documents(user: User, project: Project) -> list[Document]:
    """The documents listed on the project page, newest first, without their content."""
    statement = (
        _visible(user, project)
        .where(Document.deleted_at.is_(None))
        .options(defer(Document.content, raiseload=True), joinedload(Document.uploaded_by))
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    return list(db.session.scalars(statement))


def document_for_download(user: User, project: Project, document_id: int) -> Document | None:
    """A document of ``project`` that ``user`` may download, with its content; None if it
    does not exist, belongs to another project, was deleted or is internal to the user."""
    statement = (
        _visible(user, project)
        .where(Document.id == document_id, Document.deleted_at.is_(None))
        .options(undefer(Document.content))
    )
    return db.session.scalars(statement).one_or_none()


def document_of(user: User, project: Project, document_id: int) -> Document | None:
    """Like ``document_for_download``, without loading the content (to delete it)."""
    statement = (
        _visible(user, project)
        .where(Document.id == document_id, Document.deleted_at.is_(None))
        .options(defer(Document.content, raiseload=True))
    )
    return db.session.scalars(statement).one_or_none()


def deleted_document_of(user: User, project: Project, document_id: int) -> Document | None:
    """A deleted document of ``project`` that ``user`` could see before (a deletion of it
    arriving late is told so); None otherwise."""
    statement = (
        _visible(user, project)
        .where(Document.id == document_id, Document.deleted_at.is_not(None))
        .options(defer(Document.content, raiseload=True))
    )
    return db.session.scalars(statement).one_or_none()


def section(user: User, project: Project) -> dict[str, Any]:
    """What the section shows on the project page (template context): the documents and the
    ids of those ``user`` may delete (its form: ``documents.forms.section_forms``)."""
    documents = visible_documents(user, project)
    return {
        "documents": documents,
        "deletable_documents": {d.id for d in documents if can_delete_document(user, project, d)},
    }


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """"Document added" entries the user may see; a document deleted since stays in the
    history, marked as deleted, and its deletion is an entry of its own (by whom, when)."""
    statement = _visible(user, project).options(
        defer(Document.content, raiseload=True), joinedload(Document.uploaded_by),
        joinedload(Document.deleted_by),
    )
    entries = []
    for document in db.session.scalars(statement):
        entries.append(TimelineEntry("document", document.created_at, document,
                                     "documents/_timeline_entry.html"))
        if document.deleted_at is not None:
            entries.append(TimelineEntry("document_deleted", document.deleted_at, document,
                                         "documents/_timeline_deleted.html"))
    return entries
