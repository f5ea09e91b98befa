"""Notes in Chromium: an advisor writes, edits and deletes a note without leaving the page.

Selectors are ids and data attributes: the notes' strings are not translated yet, and the
page is French.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Note, NoteRevision

from .. import factories
from .conftest import log_in


@pytest.fixture
def followed(live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        holder = factories.user(name="Anne Briand")
        project = factories.project(title="Garage solidaire", holders=[holder])
        db.session.commit()
        return project.id




def test_an_advisor_writes_then_edits_a_note_without_a_page_reload(page: Page, live_server,
                                                                    live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    url = page.url
    # A page reload would forget this.
    page.evaluate("window.notesTestMarker = 'still the same page'")

    section = page.locator(f"#notes-project-{project_id}")
    section.locator("details.note-new > summary").click()
    page.locator(f"#new-note-project-{project_id}-kind").select_option("visit")
    page.locator(f"#new-note-project-{project_id}-body").fill(
        "Visite du garage avec Anne.\nLe local convient <b>bien</b>.")
    page.locator(f"#new-note-project-{project_id}-visibility-shared").check()
    page.locator("[data-note-submit]").click()

    note = page.locator(f"#note-list-project-{project_id} article.note").first
    expect(note.locator(".note-body")).to_have_text(
        "Visite du garage avec Anne.\nLe local convient <b>bien</b>.")
    expect(note.locator(".badge-shared")).to_be_visible()
    expect(page.locator(f"#new-note-project-{project_id}-body")).to_have_value("")  # form reset
    assert page.url == url
    assert page.evaluate("window.notesTestMarker") == "still the same page"
    with live_app.app_context():
        saved = db.session.scalar(select(Note))
        assert (saved.kind, saved.visibility) == ("visit", "shared")
        note_id = saved.id
    # The history took the new note too.
    expect(page.locator(f"#timeline-project-{project_id} a[href='#note-{note_id}']")).to_be_visible()

    note = page.locator(f"#note-{note_id}")
    note.locator("[data-note-edit]").click()
    body = page.locator(f"#note-{note_id}-body")
    expect(body).to_be_focused()
    body.fill("Visite du garage avec Anne et Paul.")
    page.locator(f"#note-{note_id} [data-note-save]").click()

    expect(note.locator(".note-body").first).to_have_text("Visite du garage avec Anne et Paul.")
    expect(note.locator(".note-edited")).to_be_visible()
    note.locator(".note-revisions > summary").click()
    expect(note.locator(".note-revisions .note-body")).to_have_text(
        "Visite du garage avec Anne.\nLe local convient <b>bien</b>.")
    assert page.url == url
    assert page.evaluate("window.notesTestMarker") == "still the same page"
    with live_app.app_context():
        assert db.session.get(Note, note_id).version == 2
        assert db.session.scalar(select(NoteRevision.body)).startswith("Visite du garage avec Anne.")

    note.locator(".note-delete > summary").click()
    note.locator("[data-confirm-yes]").click()
    expect(page.locator(f"#note-{note_id}")).to_have_count(0)
    expect(page.locator(f"#timeline-project-{project_id} a[href='#note-{note_id}']")).to_have_count(0)
    assert page.evaluate("window.notesTestMarker") == "still the same page"
