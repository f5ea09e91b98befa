"""No click counts twice, in Chromium: on a slow connection, a double click on a creating
form's button sends one request (the button is disabled while it runs) and creates one
object; the button comes back when the request is done.

Requests are held with ``page.route`` (the slow connection) and let go by the test.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import Note, Project

from .. import factories
from .conftest import log_in


def _hold(page: Page, pattern: str) -> list[Route]:
    """Hold every POST matching ``pattern`` until the test lets it go."""
    held: list[Route] = []

    def handle(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(pattern), handle)
    return held


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_double_click_on_submit_my_idea_creates_one_project(page: Page, live_server,
                                                              live_app):
    with live_app.app_context():
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()
    log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")
    page.goto(live_server + "/projects/new")
    page.get_by_label("Nom du projet").fill("Ressourcerie du pays de Redon")
    held = _hold(page, r"/projects/new$")
    page.get_by_role("button", name="Enregistrer le brouillon").dblclick(no_wait_after=True)
    page.wait_for_timeout(300)  # a second request would have been sent by now
    assert len(held) == 1  # the second click sent nothing
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ressourcerie du pays de Redon")
    assert _count(live_app, Project) == 1


@pytest.fixture
def followed(live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Garage solidaire")
        db.session.commit()
        return project.id


def test_a_double_click_on_add_the_note_adds_one_note_and_the_button_comes_back(
        page: Page, live_server, live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.locator(f"#notes-project-{project_id} details.note-new > summary").click()
    page.locator(f"#new-note-project-{project_id}-body").fill("Visite du garage.")
    held = _hold(page, rf"/projects/{project_id}/notes$")
    button = page.locator("[data-note-submit]")
    button.dblclick(no_wait_after=True)
    expect(button).to_be_disabled()
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(f"#note-list-project-{project_id} article.note")).to_have_count(1)
    expect(page.locator("[data-note-submit]")).to_be_enabled()  # ready for the next note
    assert _count(live_app, Note) == 1

