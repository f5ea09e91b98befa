"""One vocabulary for htmx answers: every change on the project page answers htmx with its
fragment, the one message fragment out of band and the "project-changed" event (the history
reloads on it), and a plain request with a flashed message and a 303 back to the page."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import BytesIO

import pytest
from flask import flash, get_flashed_messages
from sqlalchemy import func, select

from incubator import htmx as answers
from incubator.extensions import db
from incubator.models import Document, NextStep, Note, Project

from . import factories
from .helpers import MESSAGE_OOB, project_changed
from .test_documents import pdf


@pytest.fixture
def desk(client, login):
    """An advisor logged in; a project with a holder, a note, an open and a done step, a
    document (made through the routes, as users make them)."""
    advisor = login("advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand", email="anne@exemple.fr")
    project = factories.project(holders=[holder], title="Épicerie vrac", advisor=advisor)
    db.session.commit()
    base = f"/projects/{project.id}"
    client.post(f"{base}/notes", data={"kind": "call", "happened_on": date.today().isoformat(),
                                       "body": "Appel", "visibility": "internal"})
    due = (date.today() + timedelta(days=3)).isoformat()
    for title in ("Appeler", "Écrire"):
        client.post(f"{base}/next-steps", data={"title": title, "due_on": due,
                                                "assignee_id": str(advisor.id)})
    client.post(f"{base}/documents", data={"document-file": (BytesIO(pdf()), "budget.pdf"),
                                           "document-visibility": "shared"})
    steps = {s.title: s for s in db.session.scalars(select(NextStep))}
    client.post(f"{base}/next-steps/{steps['Écrire'].id}/done")
    get_flashed = client.get(base)  # spend the flashed messages
    assert get_flashed.status_code == 200
    return {"advisor": advisor, "holder": holder, "project": project,
            "note": db.session.scalar(select(Note)), "open": steps["Appeler"],
            "done": steps["Écrire"], "document": db.session.scalar(select(Document))}


def _version(model, row_id: int) -> int:
    return db.session.get(model, row_id).version


# (name, path, data) for each change made on the project page; ``d`` is the desk.
CHANGES = {
    "note added": lambda d: (f"/projects/{d['project'].id}/notes", {
        "kind": "call", "happened_on": date.today().isoformat(), "body": "Nouveau",
        "visibility": "internal"}),
    "note edited": lambda d: (f"/projects/{d['project'].id}/notes/{d['note'].id}", {
        "kind": "call", "happened_on": date.today().isoformat(), "body": "Modifié",
        "visibility": "internal", "version": _version(Note, d["note"].id)}),
    "note deleted": lambda d: (f"/projects/{d['project'].id}/notes/{d['note'].id}/delete", {
        "version": _version(Note, d["note"].id), "confirm": "1"}),
    "next step added": lambda d: (f"/projects/{d['project'].id}/next-steps", {
        "title": "Rappeler", "due_on": (date.today() + timedelta(days=5)).isoformat(),
        "assignee_id": str(d["advisor"].id)}),
    "next step done": lambda d: (
        f"/projects/{d['project'].id}/next-steps/{d['open'].id}/done", {}),
    "next step reopened": lambda d: (
        f"/projects/{d['project'].id}/next-steps/{d['done'].id}/undo", {}),
    "document added": lambda d: (f"/projects/{d['project'].id}/documents", {
        "document-file": (BytesIO(pdf()), "plan.pdf"), "document-visibility": "shared"}),
    "document deleted": lambda d: (
        f"/projects/{d['project'].id}/documents/{d['document'].id}/delete", {"confirm": "1"}),
    "description edited": lambda d: (f"/projects/{d['project'].id}/edit",
                                     factories.complete_idea(
                                         title="Épicerie", save_draft="y",
                                         version=_version(Project, d["project"].id))),
    "advisor changed": lambda d: (f"/projects/{d['project'].id}/advisor", {
        "advisor_id": "", "version": _version(Project, d["project"].id)}),
    "holder added": lambda d: (f"/projects/{d['project'].id}/holders", {
        "email": "leo@exemple.fr", "name": "Léo"}),
    "holder removed": lambda d: (
        f"/projects/{d['project'].id}/holders/{d['holder'].id}/remove", {
            "version": _version(Project, d["project"].id), "confirm": "1"}),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_of_the_project_page_refreshes_its_history(client, desk, change):
    path, data = CHANGES[change](desk)
    response = client.post(path, data=data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert project_changed(response)
    assert "<html" not in html and html.count(MESSAGE_OOB) == 1
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_without_javascript_goes_back_to_the_project_page(client, desk, change):
    path, data = CHANGES[change](desk)
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/projects/{desk['project'].id}")
    assert "HX-Trigger" not in response.headers
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-success"' in page


def test_the_history_reloads_on_the_event_and_shows_the_change(client, desk):
    project = desk["project"]
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert (f'<div hx-get="/projects/{project.id}/history"\n'
            '       hx-trigger="project-changed from:body" hx-swap="innerHTML" data-refresh>'
            in page)
    client.post(f"/projects/{project.id}/next-steps/{desk['open'].id}/done", htmx=True)
    response = client.get(f"/projects/{project.id}/history", htmx=True)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<section id="timeline-project-{project.id}"')
    assert "Appeler" in html and "HX-Request" in response.headers["Vary"]
    plain = client.get(f"/projects/{project.id}/history")
    assert plain.status_code == 303
    assert plain.headers["Location"] == f"/projects/{project.id}#timeline-project-{project.id}"


def test_a_board_move_refreshes_the_history_of_an_open_project_page(client, desk):
    project = desk["project"]
    response = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": factories.stage(2).id, "version": _version(Project, project.id)})
    assert response.status_code == 200 and project_changed(response)
    stale = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": factories.stage(3).id, "version": 1})
    assert stale.status_code == 409 and not project_changed(stale)


def test_a_drop_on_a_retired_column_puts_the_card_back_and_says_why(client, desk):
    project = desk["project"]
    retired = factories.stage(5)
    retired.active = False
    db.session.commit()
    response = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": retired.id, "version": _version(Project, project.id), "after_id": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and response.headers["HX-Reswap"] == "delete"
    assert "no longer in use" in html and MESSAGE_OOB in html


# The helpers themselves --------------------------------------------------------------------

@pytest.mark.parametrize("headers, fragment", [
    ({}, False), ({"HX-Request": "true"}, True),
    ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
])
def test_page_or_fragment_picks_by_the_htmx_header(app, headers, fragment):
    context = {"status": 422, "title": "Invalid", "message": "Check it", "incident": None}
    with app.test_request_context(headers=headers):
        response = answers.page_or_fragment("errors/error.html", "errors/_error.html", 422,
                                            **context)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "HX-Request" in response.headers["Vary"]
        assert ("<html" not in html) == fragment and "Check it" in html


def test_done_flashes_and_redirects_a_plain_request(app):
    with app.test_request_context(method="POST"):
        response = answers.done("Saved.", "/somewhere", "_message.html")
        assert response.status_code == 303 and response.headers["Location"] == "/somewhere"
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
        assert "HX-Request" in response.headers["Vary"]


def test_done_answers_htmx_with_the_fragment_the_message_and_the_events(app):
    with app.test_request_context(method="POST", headers={"HX-Request": "true"}):
        response = answers.done("Saved <b>", "/somewhere", events=("project-changed",),
                                category="info")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
        assert html.startswith(MESSAGE_OOB)
        assert ('<p class="flash flash-info" tabindex="-1" data-near="main">Saved &lt;b&gt;</p>'
                in html)
        assert project_changed(response)
        assert get_flashed_messages() == []


def test_done_sends_the_focus_to_the_changed_fragment_and_the_message_beside_it(app):
    with app.test_request_context(method="POST", headers={"HX-Request": "true"}):
        response = answers.done("Saved.", "/somewhere", "_message.html")
        # The fragment's root (here the message area) is the changed part: the focus goes there.
        settle = json.loads(response.headers["HX-Trigger-After-Settle"])
        assert settle == {"focus-target": {"id": "messages"}}
        assert 'data-near="messages"' in response.get_data(as_text=True)
        response = answers.done("Saved.", "/somewhere", "_message.html", focus="note-3")
        settle = json.loads(response.headers["HX-Trigger-After-Settle"])
        assert settle == {"focus-target": {"id": "note-3"}}
        assert 'data-near="note-3"' in response.get_data(as_text=True)
    with app.test_request_context(method="POST"):
        response = answers.done("Saved.", "/somewhere", "_message.html", focus="note-3")
        assert "HX-Trigger-After-Settle" not in response.headers


def test_back_to_project_sends_htmx_an_hx_redirect(app):
    project = factories.project(title="Ferme")
    db.session.commit()
    with app.test_request_context(method="POST", headers={"HX-Request": "true"}):
        response = answers.back_to_project(project, "notes")
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == f"/projects/{project.id}#notes"
    with app.test_request_context(method="POST"):
        response = answers.back_to_project(project)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/projects/{project.id}"


def test_the_page_shows_flashed_messages_in_the_one_live_region(client, login, app):
    login("advisor")
    with app.test_request_context():
        flash("x")
    page = client.get("/board").get_data(as_text=True)
    assert page.count('id="messages"') == 1
    assert '<div id="messages" class="messages" aria-live="polite" role="status">' in page


def test_a_form_sent_after_logging_out_elsewhere_offers_to_log_in_and_send_again(client,
                                                                                  login):
    """The session's CSRF token changed (logged out in another tab): htmx keeps the page
    and what was typed; the answer says what to do and brings the current token."""
    login("advisor")
    project = factories.project()
    db.session.commit()
    client.post("/auth/logout")
    client.get("/auth/login")  # the login page of the other tab: a new session token
    response = client.post(f"/projects/{project.id}/notes", csrf=False, htmx=True,
                           data={"body": "Gardé"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#messages"
    assert "log in again in another tab" in html and "data-resend" in html
    assert 'href="/auth/login" target="_blank"' in html
    assert "csrf-token" in response.headers["HX-Trigger"]


def html_fields(html: str, form_marker: str) -> dict[str, str]:
    """The inputs of the form whose tag holds ``form_marker``, as a browser would send them."""
    from html.parser import HTMLParser

    form = html[html.index(form_marker):]
    form = form[:form.index("</form>")]
    fields: dict[str, str] = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")

    Inputs().feed(form)
    return fields


def _stale_note_post(client, project, **headers):
    """A note sent without JavaScript with a token of an older session (a new login since,
    maybe in another tab)."""
    return client.post(f"/projects/{project.id}/notes", csrf=False, headers=headers, data={
        "csrf_token": "jeton-d-une-autre-session", "kind": "call",
        "happened_on": date.today().isoformat(), "body": "Appel <b>important</b>\nà Anne",
        "visibility": "internal"})


def test_without_javascript_a_form_of_an_older_session_is_shown_and_can_be_sent_again(
        client, login):
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = _stale_note_post(client, project, **{"Sec-Fetch-Site": "same-origin"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "What you typed is kept: send it again." in html
    # What was typed is shown as text (escaped) and kept in the form sent again.
    assert "Appel &lt;b&gt;important&lt;/b&gt;\nà Anne" in html and "<b>important" not in html
    assert f'action="/projects/{project.id}/notes"' in html
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    resend = html_fields(html, f'action="/projects/{project.id}/notes"')
    assert resend["csrf_token"] != "jeton-d-une-autre-session"
    again = client.post(f"/projects/{project.id}/notes", csrf=False, data=resend)
    assert again.status_code == 303
    assert db.session.scalar(select(Note.body)) == "Appel <b>important</b>\nà Anne"


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "https://attaquant.example"}, {}])
def test_a_form_posted_from_another_site_never_gets_the_resend_page(client, login, headers):
    """Its button would turn a forged request into one the user confirms."""
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = _stale_note_post(client, project, **headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "session has expired or the form is out of date" in html
    assert "important" not in html and 'name="body"' not in html


def test_the_project_guard_answers_404_for_a_hidden_project_then_403_for_a_refused_rule(
        app):
    """``htmx.project_or_abort``: the one guard of the routes under a project's page
    (accompaniment, supports, referrals, mentoring)."""
    from werkzeug.exceptions import Forbidden, NotFound

    advisor = factories.user("advisor")
    holder = factories.user("holder")
    project = factories.project(holders=[holder], advisor=advisor)
    stranger = factories.user("holder")
    db.session.commit()
    seen = []

    def rule(user, found):
        seen.append((user.id, found.id))
        return user.is_staff

    with app.test_request_context():
        from flask_login import login_user

        login_user(advisor)
        assert answers.project_or_abort(project.id, rule).id == project.id
        with pytest.raises(NotFound):
            answers.project_or_abort(987654, rule)  # no such project: the rule is not asked
        login_user(holder)
        with pytest.raises(Forbidden):  # sees the project, the rule refuses
            answers.project_or_abort(project.id, rule)
        login_user(stranger)
        with pytest.raises(NotFound):  # may not see it: 404, as if it did not exist
            answers.project_or_abort(project.id, rule)
    assert seen == [(advisor.id, project.id), (holder.id, project.id)]
