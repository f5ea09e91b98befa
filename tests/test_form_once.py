"""No click counts twice: a creating form is accepted once (``incubator/once.py``).

Each creating form carries a one-time token; sending the same rendered form again (a
double click on a slow connection, a resend) creates nothing more, notifies no one again,
and points at what the first submission created.
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from incubator import once
from incubator.extensions import db
from incubator.models import (
    Document,
    NextStep,
    Note,
    Notification,
    Project,
    ProjectHolder,
    UsedFormToken,
    User,
    utcnow,
)

from . import factories
from .conftest import is_postgres, make_app, reset_database
from .test_documents import pdf

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _token(client, url: str, *, htmx: bool = False, nth: int = 0) -> str:
    html = client.get(url, htmx=htmx).get_data(as_text=True)
    return TOKEN.findall(html)[nth]


def _page_token(client, project, form: str) -> str:
    """The token of ``form`` on the project page (each form has its own)."""
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    start = html.index(form)
    return TOKEN.search(html, start).group(1)


@pytest.fixture
def project_page(login):
    """An advisor logged in on a project with one holder."""
    advisor = login("advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand")
    project = factories.project(holders=[holder], title="Épicerie vrac")
    db.session.commit()
    return advisor, holder, project


@pytest.mark.parametrize("htmx", [False, True])
def test_submitting_the_same_idea_form_twice_creates_one_project(client, login, app, htmx):
    login("holder")
    factories.user(role="advisor")
    factories.user(role="manager")
    db.session.commit()
    token = _token(client, "/projects/new")
    data = factories.complete_idea(submit_idea="y", form_token=token)
    first = client.post("/projects/new", data=data, htmx=htmx)
    assert first.status_code == 303  # the idea form is a plain form, even for htmx
    notified = _count(Notification)
    assert _count(Project) == 1 and notified == 2
    created = db.session.scalar(select(Project))
    second = client.post("/projects/new", data=data, htmx=htmx)
    location = f"/projects/{created.id}"
    if htmx:
        assert second.headers["HX-Redirect"].endswith(location)
    else:
        assert second.status_code == 303 and second.headers["Location"].endswith(location)
    assert _count(Project) == 1 and _count(Notification) == notified
    page = client.get(location).get_data(as_text=True)
    assert "Your idea has already been submitted: here it is." in page


def test_each_rendering_of_the_idea_form_is_a_new_submission(client, login):
    login("holder")
    for _ in range(2):
        token = _token(client, "/projects/new")
        client.post("/projects/new", data=factories.complete_idea(save_draft="y",
                                                                  form_token=token))
    assert _count(Project) == 2


def test_a_refused_idea_keeps_its_token_usable(client, login):
    """A form sent back with errors was not accepted: correcting it and sending it works."""
    login("holder")
    token = _token(client, "/projects/new")
    refused = client.post("/projects/new", data=factories.complete_idea(
        title="", save_draft="y", form_token=token))
    assert refused.status_code == 422 and _count(UsedFormToken) == 0
    accepted = client.post("/projects/new", data=factories.complete_idea(
        save_draft="y", form_token=token))
    assert accepted.status_code == 303 and _count(Project) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_note_sent_twice_is_added_once(client, project_page, htmx):
    _, _, project = project_page
    token = _page_token(client, project, 'id="note-form-')
    data = {"kind": "call", "happened_on": date.today().isoformat(), "body": "Appel avec Anne.",
            "visibility": "shared", "form_token": token}
    assert client.post(f"/projects/{project.id}/notes", data=data, htmx=htmx).status_code in (
        200, 303)
    notified = _count(Notification)
    assert notified == 1  # the holder, told once
    second = client.post(f"/projects/{project.id}/notes", data=data, htmx=htmx)
    note = db.session.scalar(select(Note))
    target = second.headers["HX-Redirect"] if htmx else second.headers["Location"]
    assert target.endswith(f"/projects/{project.id}#note-{note.id}")
    assert _count(Note) == 1 and _count(Notification) == notified


@pytest.mark.parametrize("htmx", [False, True])
def test_a_next_step_sent_twice_is_added_once(client, project_page, htmx):
    _, holder, project = project_page
    token = _page_token(client, project, 'id="next-step-form-')
    data = {"title": "Visiter le local", "due_on": (date.today() + timedelta(days=7)).isoformat(),
            "assignee_id": holder.id, "form_token": token}
    for _ in range(2):
        response = client.post(f"/projects/{project.id}/next-steps", data=data, htmx=htmx)
    target = response.headers["HX-Redirect"] if htmx else response.headers["Location"]
    assert target.endswith(f"/projects/{project.id}#next-steps-project-{project.id}")
    assert _count(NextStep) == 1
    assert _count(Notification, Notification.user_id == holder.id) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_document_sent_twice_is_added_once(client, project_page, htmx):
    _, _, project = project_page
    token = _page_token(client, project, 'id="document-form-')
    for _ in range(2):
        response = client.post(f"/projects/{project.id}/documents", htmx=htmx, data={
            "document-file": (BytesIO(pdf()), "plan.pdf"), "document-visibility": "shared",
            "form_token": token})
    target = response.headers["HX-Redirect"] if htmx else response.headers["Location"]
    assert target.endswith(f"/projects/{project.id}#documents-project-{project.id}")
    assert _count(Document) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_an_invitation_sent_twice_invites_once(client, project_page, app, htmx):
    _, _, project = project_page
    token = _page_token(client, project, 'Add a holder')
    data = {"email": "loic@example.org", "name": "Loïc Guérin", "form_token": token}
    for _ in range(2):
        response = client.post(f"/projects/{project.id}/holders", data=data, htmx=htmx)
    target = response.headers["HX-Redirect"] if htmx else response.headers["Location"]
    assert target.endswith(f"/projects/{project.id}")
    assert _count(User, User.email == "loic@example.org") == 1
    assert _count(ProjectHolder, ProjectHolder.project_id == project.id) == 2
    assert [m["To"] for m in app.extensions.get("outbox", [])] == ["loic@example.org"]


def test_a_token_of_another_form_or_user_or_a_forged_one_is_refused(client, login, auth):
    holder = login("holder")
    token = _token(client, "/projects/new")
    other = factories.user(role="holder")
    db.session.commit()
    auth.logout()
    auth.login(other)
    theirs = client.post("/projects/new", data=factories.complete_idea(save_draft="y",
                                                                       form_token=token))
    forged = client.post("/projects/new", data=factories.complete_idea(
        save_draft="y", form_token=token[:-2] + "xx"))
    for response in (theirs, forged):
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "What you typed is kept: check it and send it again." in html
        assert 'value="Épicerie solidaire de Redon"' in html  # the input, kept
    assert _count(Project) == 0 and holder.id != other.id


def test_spent_tokens_older_than_a_day_are_forgotten(client, login):
    user = login("holder")
    db.session.add(UsedFormToken(token_hash="0" * 64, user_id=user.id, form="idea",
                                 created_at=utcnow() - timedelta(hours=25)))
    db.session.add(UsedFormToken(token_hash="1" * 64, user_id=user.id, form="idea",
                                 created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    token = _token(client, "/projects/new")
    client.post("/projects/new", data=factories.complete_idea(save_draft="y", form_token=token))
    hashes = set(db.session.scalars(select(UsedFormToken.token_hash)))
    assert "0" * 64 not in hashes and "1" * 64 in hashes and len(hashes) == 2


def test_showing_a_form_writes_nothing(client, project_page):
    _, _, project = project_page
    client.get(f"/projects/{project.id}")
    client.get("/projects/new")
    assert _count(UsedFormToken) == 0


@pytest.mark.skipif(not is_postgres(), reason="real parallel transactions need PostgreSQL")
def test_four_parallel_sends_of_one_idea_form_create_one_project_and_no_500():
    app = make_app()
    reset_database(app)
    with app.app_context():
        holder = factories.user(role="holder")
        db.session.commit()
        email = holder.email
        idea = factories.complete_idea(submit_idea="y")
    clients = [app.test_client() for _ in range(4)]
    for each in clients:
        assert each.post("/auth/login", data={"email": email,
                                              "password": factories.PASSWORD}).status_code == 303
    token = TOKEN.search(clients[0].get("/projects/new").get_data(as_text=True)).group(1)
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def send(each) -> None:
        barrier.wait()
        response = each.post("/projects/new", data={**idea, "form_token": token})
        answers.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=send, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
        assert db.session.scalar(select(func.count()).select_from(Project)) == 1
        db.session.remove()
        db.engine.dispose()
    assert [status for status, _ in answers] == [303] * 4, answers
    assert all(location.endswith(f"/projects/{project_id}") for _, location in answers)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_form_left_open_past_its_token_keeps_the_text_and_is_sent_again_with_one_click(
        client, project_page, htmx, monkeypatch):
    """A note typed over a long weekend: its token has expired. The answer keeps the text and
    says to send it again (not to reload, which would lose it); sending the answer's form
    again works."""
    _, _, project = project_page
    token = _page_token(client, project, 'id="note-form-')
    monkeypatch.setattr(once, "FORM_TOKEN_HOURS", -1)  # every token is past its lifetime
    data = {"kind": "call", "happened_on": date.today().isoformat(),
            "body": "Compte rendu du lundi.", "visibility": "shared", "form_token": token}
    refused = client.post(f"/projects/{project.id}/notes", data=data, htmx=htmx)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Compte rendu du lundi.</textarea>" in html
    assert "What you typed is kept: check it and send it again." in html
    assert "Reload" not in html
    monkeypatch.setattr(once, "FORM_TOKEN_HOURS", 24)
    again = client.post(f"/projects/{project.id}/notes", htmx=htmx,
                        data={**data, "form_token": TOKEN.findall(html)[-1]})
    assert again.status_code in (200, 303) and _count(Note) == 1


def test_a_token_of_one_projects_form_is_refused_on_another_project(client, project_page):
    """A project's creating forms are bound to it: a note form's token sent to another
    project's address is refused (its replay would point at a note of the first one)."""
    _, holder, project = project_page
    other = factories.project(holders=[holder], title="Recyclerie")
    db.session.commit()
    token = _page_token(client, project, 'id="note-form-')
    data = {"kind": "call", "happened_on": date.today().isoformat(), "body": "Appel.",
            "visibility": "shared", "form_token": token}
    elsewhere = client.post(f"/projects/{other.id}/notes", data=data, htmx=True)
    assert elsewhere.status_code == 422
    assert "check it and send it again" in elsewhere.get_data(as_text=True)
    assert client.post(f"/projects/{project.id}/notes", data=data,
                       htmx=True).status_code == 200
    assert _count(Note, Note.project_id == other.id) == 0 and _count(Note) == 1
