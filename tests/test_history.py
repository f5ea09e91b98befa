"""One history rule (docs/architecture.md, "History"): the timeline shows what happened,
deletions included, never deleted content to who may not see it, and undoing something keeps
both entries. History tables refuse updates and deletes."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from incubator.board import services as board
from incubator.documents.services import Upload, add_document
from incubator.extensions import db
from incubator.models import (
    AppendOnlyError,
    Document,
    NextStepChange,
    Note,
    NoteRevision,
    Project,
    ProjectEvent,
    ProjectHolder,
    Stage,
    StageMove,
    StatusChange,
)
from incubator.next_steps.services import add_step
from incubator.notes.services import create_note, update_note
from incubator.project_page.queries import timeline
from incubator.projects import services as people
from incubator.stage_history import chain_left_at

from . import factories
from .helpers import left_at_mismatches

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# The timeline's words in each language: (written, deleted, step done, step reopened,
# document deleted).
WORDS = {
    "en": ("Note written", "Note deleted", "Next step done: ", "Next step reopened: ",
           "Document deleted: "),
    "fr": ("Note rédigée", "Note supprimée", "Prochaine étape faite\u202f: ",
           "Prochaine étape rouverte\u202f: ", "Document supprimé\u202f: "),
}
LANGUAGES = sorted(WORDS)


@pytest.fixture
def followed(app, team, auth):
    """The team's advisor logged in; the project loaded with its holders as the routes load
    it; services run in a request context, as in the routes."""
    assert auth.login(team.advisor).status_code == 303
    project = db.session.scalars(
        select(Project).where(Project.id == team.project.id)
        .options(selectinload(Project.holder_links).joinedload(ProjectHolder.user))
    ).one()
    with app.test_request_context():
        yield team.advisor, team.holder, project


def _timeline(client, project, language: str) -> str:
    html = client.get(f"/projects/{project.id}",
                      headers={"Accept-Language": language}).get_data(as_text=True)
    start = html.index(f'id="timeline-project-{project.id}"')
    return html[start:html.index("</section>", start)]


def _as(auth, user) -> None:
    auth.logout()
    assert auth.login(user).status_code == 303


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deleted_note_stays_in_the_timeline_with_who_deleted_it_never_its_body(
        client, auth, followed, language):
    advisor, holder, project = followed
    written, deleted, *_ = WORDS[language]
    shared = create_note(project, advisor, kind="meeting", happened_on=date(2026, 11, 3),
                         body="Budget confidentiel partagé", visibility="shared")
    internal = create_note(project, advisor, kind="call", happened_on=date(2026, 11, 4),
                           body="Avis interne sur le collectif", visibility="internal")
    db.session.commit()
    for note in (shared, internal):
        response = client.post(f"/projects/{project.id}/notes/{note.id}/delete",
                               data={"confirm": "1", "version": note.version})
        assert response.status_code == 303

    staff_view = _timeline(client, project, language)
    assert staff_view.count(written) == 2 and staff_view.count(deleted) == 2
    assert f"{deleted} · " in staff_view and "— Yann Le Goff" in staff_view
    assert "Budget confidentiel" not in staff_view and "Avis interne" not in staff_view
    assert f'href="#note-{shared.id}"' not in staff_view  # no link to what is gone

    _as(auth, holder)
    holder_view = _timeline(client, project, language)
    # The holder saw the shared note: they see it was deleted, and by whom; the internal
    # note was never theirs to see, and neither is its deletion.
    assert holder_view.count(written) == 1 and holder_view.count(deleted) == 1
    assert "— Yann Le Goff" in holder_view and "Budget confidentiel" not in holder_view


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("language", LANGUAGES)
def test_reopening_a_step_keeps_its_done_entry_and_adds_a_reopened_one(
        client, followed, language, htmx):
    advisor, _holder, project = followed
    _, _, done, reopened, _ = WORDS[language]
    step = add_step(project, advisor, title="Visiter le local", due_on=date.today(),
                    assignee=advisor)
    db.session.commit()
    base = f"/projects/{project.id}/next-steps/{step.id}"
    for action in ("done", "undo", "done"):
        response = client.post(f"{base}/{action}", htmx=htmx)
        assert response.status_code == (200 if htmx else 303)

    view = _timeline(client, project, language)
    assert view.count(f"{done}Visiter le local") == 2
    assert view.count(f"{reopened}Visiter le local") == 1
    assert view.count("— Yann Le Goff") == 3
    kinds = [change.kind for change in db.session.scalars(
        select(NextStepChange).order_by(NextStepChange.id))]
    assert kinds == ["done", "reopened", "done"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deleted_document_keeps_its_entry_and_gets_one_for_its_deletion(
        client, auth, followed, language):
    advisor, holder, project = followed
    *_, deleted = WORDS[language]
    shared = add_document(project, advisor, Upload("charte.pdf", "application/pdf", PDF),
                          "shared")
    internal = add_document(project, advisor, Upload("secret.pdf", "application/pdf", PDF),
                            "internal")
    db.session.commit()
    for document in (shared, internal):
        response = client.post(f"/projects/{project.id}/documents/{document.id}/delete",
                               data={"confirm": "1"})
        assert response.status_code == 303
    assert db.session.get(Document, shared.id).deleted_by_id == advisor.id

    staff_view = _timeline(client, project, language)
    assert f"{deleted}charte.pdf" in staff_view and f"{deleted}secret.pdf" in staff_view
    _as(auth, holder)
    holder_view = _timeline(client, project, language)
    assert f"{deleted}charte.pdf" in holder_view and "— Yann Le Goff" in holder_view
    assert "secret.pdf" not in holder_view


# What the timeline says of each undone change: (holder left, holder joined, advisor,
# moved forward, moved back, paused, reopened, closed).
UNDONE = {
    "en": ("is no longer a holder of the project", "joined the project as a holder",
           "Advisor: ", "Moved from", "Moved back from", "Paused", "Reopened", "Closed: "),
    "fr": ("ne porte plus le projet", "a rejoint le projet comme porteur·se",
           "Chargé·e d", "Passage de l", "Retour de l", "En pause", "Rouvert", "Clôturé\u202f: "),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_undoing_people_status_and_stage_changes_keeps_every_entry(client, followed,
                                                                   language):
    advisor, holder, project = followed
    colleague = factories.user(role="advisor", name="Yann Le Goff")
    stages = factories.stages()
    people.remove_holder(project, holder.id, advisor, seen_version=project.version)
    people.add_holder(project, holder.email, holder.name, advisor)
    people.assign_advisor(project, colleague.id, advisor, project.version)
    people.assign_advisor(project, advisor.id, advisor, project.version)
    board.move_project(project, advisor, stage_id=stages[1].id, seen_version=project.version)
    board.move_project(project, advisor, stage_id=stages[0].id, seen_version=project.version,
                       comment="Collectif à reconstituer")
    board.pause_project(project, advisor, project.version, "Été")
    board.reopen_project(project, advisor, project.version)
    board.close_project(project, advisor, project.version, "abandoned", "Plus de local")
    board.reopen_project(project, advisor, project.version)
    db.session.commit()

    entries = timeline(advisor, project)
    kinds = Counter(entry.kind for entry in entries)
    assert kinds["move"] == 3  # the submission, forward, back
    assert kinds["status"] == 4  # paused, reopened, closed, reopened
    events = Counter(entry.item.kind for entry in entries if entry.kind == "event")
    assert events == {"holder_removed": 1, "holder_added": 1, "advisor_changed": 2}
    view = _timeline(client, project, language)
    left, joined, advisor_is, forward, back, paused, reopened, closed = UNDONE[language]
    counts = [view.count(text) for text in (left, joined, advisor_is, forward, back, paused,
                                             reopened, closed)]
    assert counts == [1, 1, 2, 1, 1, 1, 2, 1]
    assert "Collectif à reconstituer" in view and "Plus de local" in view


# The guard: history is inserted, never rewritten.


@pytest.fixture
def history(followed):
    """A project with a row in every history table."""
    advisor, holder, project = followed
    note = create_note(project, advisor, kind="meeting", happened_on=date.today(), body="Un",
                       visibility="internal")
    update_note(note, project, advisor, seen_version=note.version, kind="meeting",
                happened_on=date.today(), body="Deux", visibility="internal")
    step = add_step(project, advisor, title="Appeler", due_on=date.today() + timedelta(days=3),
                    assignee=advisor)
    from incubator.next_steps.services import mark_done

    mark_done(project, step, advisor)
    people.assign_advisor(project, None, advisor, project.version)
    board.pause_project(project, advisor, project.version, None)
    db.session.commit()
    return project


@pytest.mark.parametrize(("model", "column", "value"), [
    (StageMove, "comment", "réécrit"),
    (StatusChange, "reason", "réécrit"),
    (NoteRevision, "body", "réécrit"),
    (ProjectEvent, "kind", "description_edited"),
    (NextStepChange, "kind", "reopened"),
])
def test_history_rows_are_never_edited_nor_deleted(history, model, column, value):
    row = db.session.scalars(select(model).limit(1)).one()
    setattr(row, column, value)
    with pytest.raises(AppendOnlyError, match="never edited"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(model).limit(1)).one())
    with pytest.raises(AppendOnlyError, match="never deleted"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("model", [Note, Document])
def test_notes_and_documents_are_marked_deleted_never_deleted_nor_undeleted(followed, model):
    advisor, _holder, project = followed
    if model is Note:
        row = create_note(project, advisor, kind="call", happened_on=date.today(), body="x",
                          visibility="internal")
    else:
        row = add_document(project, advisor, Upload("a.pdf", "application/pdf", PDF), "shared")
    db.session.commit()
    db.session.delete(row)
    with pytest.raises(AppendOnlyError, match="never deleted"):
        db.session.flush()
    db.session.rollback()

    row = db.session.get(model, row.id)
    row.deleted_at, row.deleted_by_id = factories.utcnow(), advisor.id
    db.session.commit()  # marking it deleted is the one change allowed
    row.deleted_at = None
    with pytest.raises(AppendOnlyError, match="never undone"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_history_entry_has_a_space_before_the_dash_that_names_who(client, followed,
                                                                        language):
    """"Note rédigée — Yann", never "Note rédigée— Yann" (issue 9): whatever the entry."""
    advisor, holder, project = followed
    stages = factories.stages()
    note = create_note(project, advisor, kind="meeting", happened_on=date.today(), body="Un",
                       visibility="shared")
    add_step(project, advisor, title="Visiter le local", due_on=date.today(), assignee=advisor)
    add_document(project, advisor, Upload("charte.pdf", "application/pdf", PDF), "shared")
    people.remove_holder(project, holder.id, advisor, seen_version=project.version)
    people.add_holder(project, holder.email, holder.name, advisor)
    board.move_project(project, advisor, stage_id=stages[1].id, seen_version=project.version)
    board.pause_project(project, advisor, project.version, "Été")
    db.session.commit()
    client.post(f"/projects/{project.id}/notes/{note.id}/delete", data={"confirm": "1", "version": note.version})
    view = _timeline(client, project, language)
    dashes = re.findall(r"(.)<span class=\"muted\">—", view, flags=re.S)
    assert len(dashes) >= 8, view
    glued = re.findall(r"\S<span class=\"muted\">—", view)
    assert not glued and all(before.isspace() for before in dashes), glued


def test_each_stage_move_left_at_is_the_next_move_on_a_history_built_by_the_services(
        app, followed):
    advisor, _holder, project = followed
    stages = factories.stages()
    other = factories.project(stage_position=1, advisor=advisor, days_in_stage=30)
    for position in (2, 3, 2, 4):  # forward, forward, back (with its comment), forward
        board.move_project(other, advisor, stage_id=stages[position - 1].id,
                           seen_version=other.version, comment="Retour")
    board.pause_project(other, advisor, other.version, None)
    board.reopen_project(other, advisor, other.version)
    board.close_project(other, advisor, other.version, "abandoned", "Plus de porteur.")
    board.reopen_project(other, advisor, other.version)
    # Its stage retired while closed: the reopening moves it, and that move ends the stay.
    board.close_project(other, advisor, other.version, "abandoned", "Encore.")
    db.session.get(Stage, other.stage_id).active = False
    db.session.flush()
    board.reopen_project(other, advisor, other.version)
    closed = factories.project(stage_position=3, status="closed", advisor=advisor)
    db.session.commit()

    moves = db.session.scalars(select(StageMove).where(StageMove.project_id == other.id)
                               .order_by(StageMove.moved_at, StageMove.id)).all()
    assert len(moves) == 6  # submission, four moves, the retired stage's reopening
    assert [m.left_at for m in moves] == [m.moved_at for m in moves[1:]] + [None]
    last_of_closed = db.session.scalars(select(StageMove).where(
        StageMove.project_id == closed.id).order_by(StageMove.id.desc())).first()
    assert last_of_closed.left_at is None  # a closing leaves it empty: closed_at says when
    assert left_at_mismatches() == []


def test_left_at_is_set_once_and_never_changed_again(history):
    last = db.session.scalars(select(StageMove).where(StageMove.project_id == history.id)
                              .order_by(StageMove.moved_at.desc(), StageMove.id.desc())).first()
    assert last.left_at is None
    later = last.moved_at + timedelta(days=1)
    last.left_at = later  # the one change allowed: None → the next move's instant
    db.session.commit()
    assert db.session.get(StageMove, last.id).left_at == later
    for value in (later + timedelta(days=1), None):
        db.session.get(StageMove, last.id).left_at = value
        with pytest.raises(AppendOnlyError, match="never edited"):
            db.session.flush()
        db.session.rollback()
    assert db.session.get(StageMove, last.id).left_at == later
    # Nor with another column: set once is the only edit a history row takes.
    row = db.session.get(StageMove, last.id)
    row.comment = "réécrit"
    with pytest.raises(AppendOnlyError, match="never edited"):
        db.session.flush()
    db.session.rollback()


def test_bulk_rows_get_the_left_at_the_service_would_write():
    times = [datetime(2026, 1, day, tzinfo=UTC) for day in (1, 5, 9)]
    rows = chain_left_at({"to_stage_id": 1, "moved_at": t} for t in times)
    assert [r["left_at"] for r in rows] == [times[1], times[2], None]
    assert chain_left_at([]) == []
