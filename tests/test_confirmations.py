"""Destructive and hard-to-undo actions ask first (incubator/confirm.py).

A POST without ``confirm=1`` changes nothing: the answer (status 200) is the question naming
the thing, with a Confirm form posting the same fields again with ``confirm=1`` (a page
without JavaScript; for htmx, the question retargeted into the page's main area). With the
confirmation the action happens (the feature tests cover each action's effects).
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import current_app

from incubator.extensions import db
from incubator.models import Document, Note, Project, ProjectHolder, User
from incubator.notes.services import create_note
from incubator.permissions import visible_project

from . import factories
from .test_documents import document

V = factories.SUBMITTED_VERSION
HTMX = pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])


def _asks(response, htmx: bool, question: str, fields: dict) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert question in html, html[html.find("<h1"):html.find("</h1>")]
    assert 'name="confirm" value="1"' in html
    for name, value in fields.items():
        assert f'name="{name}" value="{value}"' in html  # posted again as they came
    assert ("<html" in html) is not htmx
    if htmx:
        assert response.headers["HX-Retarget"] == "#main"
        assert "HX-Request" in response.headers["Vary"]
    return html


@HTMX
def test_deleting_a_note_without_confirmation_asks_and_keeps_it(client, login, htmx):
    yann = login("advisor", name="Yann Le Goff")
    project = factories.project()
    db.session.commit()
    with current_app.test_request_context():
        note = create_note(visible_project(yann, project.id), yann, kind="meeting",
                           happened_on=date(2025, 3, 12), body="Au local.",
                           visibility="internal")
        db.session.commit()
    response = client.post(f"/projects/{project.id}/notes/{note.id}/delete", htmx=htmx,
                           data={"version": note.version})
    _asks(response, htmx, "Delete the note of 12 Mar 2025 by Yann Le Goff?",
          {"version": note.version})
    assert db.session.get(Note, note.id).deleted_at is None
    done = client.post(f"/projects/{project.id}/notes/{note.id}/delete", htmx=htmx,
                       data={"version": note.version, "confirm": "1"})
    assert done.status_code == (200 if htmx else 303)
    assert db.session.get(Note, note.id).deleted_at is not None


@HTMX
def test_deleting_a_document_without_confirmation_asks_and_keeps_it(client, login, htmx):
    login("advisor")
    project = factories.project()
    item = document(project, name="budget-2026.pdf")
    db.session.commit()
    url = f"/projects/{project.id}/documents/{item.id}/delete"
    _asks(client.post(url, htmx=htmx), htmx, "Delete the document “budget-2026.pdf”?", {})
    assert db.session.get(Document, item.id).deleted_at is None
    assert client.post(url, htmx=htmx, data={"confirm": "1"}).status_code == (
        200 if htmx else 303)
    assert db.session.get(Document, item.id).deleted_at is not None


@HTMX
def test_removing_a_holder_without_confirmation_asks_and_keeps_them(client, login, htmx):
    login("advisor")
    anne = factories.user(name="Anne Briand")
    project = factories.project(holders=[anne], title="Ferme pédagogique")
    db.session.commit()
    url = f"/projects/{project.id}/holders/{anne.id}/remove"
    _asks(client.post(url, htmx=htmx, data={"version": V}), htmx,
          "Remove Anne Briand from the holders of “Ferme pédagogique”?", {"version": V})
    assert db.session.get(ProjectHolder, (project.id, anne.id)) is not None
    done = client.post(url, htmx=htmx, data={"version": V, "confirm": "1"})
    assert done.status_code == (200 if htmx else 303)
    assert db.session.get(ProjectHolder, (project.id, anne.id)) is None


@HTMX
def test_reopening_without_confirmation_asks_and_leaves_it_closed(client, login, htmx):
    login("advisor")
    project = factories.project(title="Recyclerie", stage_position=2, status="closed")
    db.session.commit()
    version = project.version
    url = f"/projects/{project.id}/reopen"
    _asks(client.post(url, htmx=htmx, data={"version": version}), htmx,
          "Put “Recyclerie” back on the board?", {"version": version})
    assert db.session.get(Project, project.id).status == "closed"
    client.post(url, data={"version": version, "confirm": "1"})
    assert db.session.get(Project, project.id).status == "active"


@HTMX
@pytest.mark.parametrize("active", ["0", "1"], ids=["deactivate", "reactivate"])
def test_deactivating_or_reactivating_without_confirmation_asks_first(client, login, htmx,
                                                                      active):
    login("manager")
    person = factories.user(role="advisor", name="Paul Guého", active=active == "0")
    db.session.commit()
    url = f"/admin/users/{person.id}/active"
    question = ("Deactivate the account of Paul Guého? They will no longer be able to log in."
                if active == "0" else
                "Reactivate the account of Paul Guého? They will be able to log in again.")
    _asks(client.post(url, htmx=htmx, data={"active": active}), htmx, question,
          {"active": active})
    assert db.session.get(User, person.id).active is (active == "0")
    assert client.post(url, data={"active": active, "confirm": "1"}).status_code == 303
    assert db.session.get(User, person.id).active is (active == "1")


def test_the_pages_offer_the_two_step_control_and_no_window_confirm(client, login):
    login("manager")
    anne = factories.user(name="Anne Briand")
    project = factories.project(holders=[anne])
    document(project)
    factories.project(title="Recyclerie", stage_position=2, status="closed")
    db.session.commit()
    for url in (f"/projects/{project.id}", "/board/closed", "/admin/users"):
        html = client.get(url).get_data(as_text=True)
        assert "hx-confirm" not in html, url
        assert "<details class=\"confirm-action" in html, url
        assert 'name="confirm" value="1"' in html, url


@HTMX
def test_confirming_the_deletion_of_a_note_already_deleted_says_so(client, login, htmx):
    """A colleague, another tab or a second Confirm deleted it first: 404 saying so, not
    "page not found"; htmx: with the notes as they are now."""
    yann = login("advisor", name="Yann Le Goff")
    project, elsewhere = factories.project(), factories.project()
    db.session.commit()
    with current_app.test_request_context():
        note = create_note(visible_project(yann, project.id), yann, kind="meeting",
                           happened_on=date(2025, 3, 12), body="Au local.",
                           visibility="internal")
        db.session.commit()
    url = f"/projects/{project.id}/notes/{note.id}/delete"
    version = note.version
    assert client.post(url, htmx=htmx, data={"version": version, "confirm": "1"}).status_code in (
        200, 303)
    for data in ({"version": version, "confirm": "1"}, {"version": version}):
        again = client.post(url, htmx=htmx, data=data)
        html = again.get_data(as_text=True)
        assert again.status_code == 404
        assert "This note was already deleted." in html
        if htmx:  # the notes as they are now, in place of the list that still shows it
            assert again.headers["HX-Retarget"] == f"#note-list-project-{project.id}"
            assert f'id="note-list-project-{project.id}"' in html
            assert f'id="note-{note.id}"' not in html
    # Under another project's address, or an id never given: still 404.
    assert client.post(f"/projects/{elsewhere.id}/notes/{note.id}/delete", htmx=htmx,
                       data={"version": version, "confirm": "1"}).status_code == 404
    assert client.post(f"/projects/{project.id}/notes/999999/delete", htmx=htmx,
                       data={"version": version, "confirm": "1"}).status_code == 404


@HTMX
def test_confirming_the_deletion_of_a_document_already_deleted_says_so(client, login, htmx):
    login("advisor")
    project, elsewhere = factories.project(), factories.project()
    item = document(project, name="budget-2026.pdf")
    db.session.commit()
    url = f"/projects/{project.id}/documents/{item.id}/delete"
    assert client.post(url, htmx=htmx, data={"confirm": "1"}).status_code in (200, 303)
    again = client.post(url, htmx=htmx, data={"confirm": "1"})
    html = again.get_data(as_text=True)
    assert again.status_code == 404
    assert "This document was already deleted." in html
    if htmx:
        assert again.headers["HX-Retarget"] == f"#document-list-project-{project.id}"
        assert f'id="document-{item.id}"' not in html
    assert client.post(f"/projects/{elsewhere.id}/documents/{item.id}/delete", htmx=htmx,
                       data={"confirm": "1"}).status_code == 404


def test_a_holder_cannot_learn_of_an_internal_document_deleted(client, login):
    holder = login("holder")
    project = factories.project(holders=[holder])
    item = document(project, visibility="internal", deleted=True)
    db.session.commit()
    assert client.post(f"/projects/{project.id}/documents/{item.id}/delete",
                       data={"confirm": "1"}).status_code == 404
