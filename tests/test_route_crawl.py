"""Every route, crawled: the rules that hold for all of them, so a new route cannot forget one.

- Without a session, a protected route answers htmx with 401 and ``HX-Redirect`` to the login
  page (``next`` = the page the user was on), and a plain request with a redirect to it:
  never a redirect that htmx would follow and swap the login page into a fragment.
- A GET never writes to the database, whoever asks (one table of session bookkeeping aside).
- Every page says ``Vary: HX-Request``: any of them may answer htmx differently.
- The CSP forbids ``<base>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from markupsafe import escape
from sqlalchemy import event, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import (
    Mentorship,
    Notification,
    OrganisationContact,
    Partner,
    PartnerContact,
    Referral,
    utcnow,
)
from incubator.notifications import services as notify
from incubator.supports.services import add_support

from . import factories
from .test_committees import committee_world
from .test_documents import document
from .test_next_steps import step
from .test_notes import _note

# Routes anyone may use without logging in. A new route is protected unless it is added here.
PUBLIC = {
    "static", "main.index", "main.set_language", "main.privacy", "main.healthz",
    "main.ready",  # the readiness probe (issue 15)
    "main.pole_logo",  # the pole's logo, in every page's header (issue 13)
    "auth.register", "auth.login", "auth.reset_request", "auth.set_password",
    "auth.second_factor",  # the login's code step, after a right password (issue 14)
    "auth.cancel_second_factor",  # giving that step up
}
# Tables a GET may write to: session bookkeeping (last seen), nothing a user would notice.
WRITES_ALLOWED_ON_GET = frozenset({"user_sessions"})
ROLES = ("holder", "mentor", "advisor", "manager")
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


def _rules(app: Flask):
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(app: Flask, rule, values: dict) -> str:
    with app.test_request_context():
        values = {**ANY_VALUES, **values}  # ids a feature's data set does not make
        arguments = {}
        for name in rule.arguments:
            value = values[name]
            items = getattr(rule._converters.get(name), "items", None)  # <any(…):name>
            arguments[name] = value if items is None or value in items else sorted(items)[0]
        return url_for(rule.endpoint, **arguments)


ANY_VALUES = {"project_id": 1, "stage_id": 1, "note_id": 1, "document_id": 1, "step_id": 1,
              "notification_id": 1, "user_id": 1, "organisation_id": 1, "contact_id": 1, "mentorship_id": 1, "import_id": 1, "session_id": 1, "token": "x", "filename": "js/app.js"}
ANY_VALUES.update({"referral_id": 1})  # referrals
ANY_VALUES.update({"support_id": 1})  # supports
ANY_VALUES.update({"group_id": 1, "meeting_id": 1, "attendance_id": 1})  # groups
ANY_VALUES.update({"partner_id": 1})  # partners
ANY_VALUES.update({"sitting_id": 1, "review_id": 1, "seat_id": 1, "criterion_id": 1})  # committees
ANY_VALUES.update({"entry_id": 1})  # accompaniment
ANY_VALUES.update({"employment_id": 1})  # territory
ANY_VALUES.update({"cohort_id": 1})  # cohorts
ANY_VALUES.update({"what": "projects"})  # exports (issue 12, F)
ANY_VALUES.update({"number": 1})  # erasures (issue 14)
ANY_VALUES.update({"slug": "themes", "item_id": 1})  # reference lists (issue 13, C)
ANY_VALUES.update({"kind": "user", "person_id": 1})  # personal data exports (issue 14)
ANY_VALUES.update({"request_id": 1})  # closure requests (issue 14, account)
ANY_VALUES.update({"row_id": 1})  # the outbox's mails and jobs (issue 15)


# Without a session ------------------------------------------------------------------------


def _protected(app: Flask) -> list[tuple[str, str]]:
    return [(method, _url(app, rule, ANY_VALUES)) for rule in _rules(app)
            if rule.endpoint not in PUBLIC for method in _methods(rule)]


def test_every_protected_route_answers_htmx_without_a_session_with_401_and_hx_redirect(
        app, client):
    page = "/board?theme=3&mine=1"
    with app.test_request_context():
        expected = url_for("auth.login", next=page)
    routes = _protected(app)
    assert len(routes) > 30
    for method, url in routes:
        response = client.open(url, method=method, htmx=True,
                               headers={"HX-Current-URL": "http://localhost" + page})
        assert response.status_code == 401, (method, url)
        assert response.headers["HX-Redirect"] == expected, (method, url)
        assert "HX-Request" in response.vary
        assert b"<html" not in response.data


def test_every_protected_route_sends_a_plain_request_without_a_session_to_log_in(app, client):
    for method, url in _protected(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        location = response.headers["Location"]
        assert location.startswith("/auth/login?next="), (method, url, location)
        if method == "GET":
            with app.test_request_context():
                assert location == url_for("auth.login", next=url)


def test_a_post_whose_session_expired_with_its_csrf_token_goes_to_log_in(app, client):
    """An expired session cookie takes the CSRF token with it: the user needs the login page
    (htmx: 401 + HX-Redirect), not a 400 swapped into the page."""
    page = "/board"
    response = client.post("/projects/1/move", csrf=False, htmx=True,
                           headers={"HX-Current-URL": "http://localhost" + page})
    assert response.status_code == 401
    with app.test_request_context():
        assert response.headers["HX-Redirect"] == url_for("auth.login", next=page)
    response = client.post("/projects/1/move", csrf=False,
                           headers={"Referer": "http://localhost" + page})
    assert response.status_code == 302 and "/auth/login?next=" in response.headers["Location"]


def test_a_session_ended_on_the_server_sends_htmx_to_log_in(app, client, login):
    """The cookie is still there (CSRF token and all) but the session no longer counts: here
    the account was deactivated meanwhile."""
    user = login("advisor")
    project = factories.project()
    user.active = False
    db.session.commit()
    response = client.post(f"/projects/{project.id}/move", htmx=True,
                           data={"stage_id": project.stage_id, "version": project.version},
                           headers={"HX-Current-URL": "http://localhost/board"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/board"
    assert client.get("/notifications/bell?shown=0", htmx=True,
                      headers={"HX-Current-URL": "http://localhost/board"}).status_code == 401


def test_a_wrong_csrf_token_in_a_live_session_is_still_a_400(client, login):
    login("advisor")
    response = client.post("/projects/1/move", csrf=False, htmx=True)
    assert response.status_code == 400 and "HX-Redirect" not in response.headers


def test_a_form_sent_without_a_session_comes_back_to_its_page_after_login(app, client):
    response = client.post("/notifications/read",
                           headers={"Referer": "http://localhost/notifications?page=2"})
    with app.test_request_context():
        assert response.headers["Location"] == url_for("auth.login",
                                                       next="/notifications?page=2")


@pytest.mark.parametrize("current", [
    "http://evil.example//evil.example/x", "/\\evil.example", "javascript:alert(1)", "",
])
def test_the_next_page_from_htmx_is_only_ever_a_local_path(app, client, current):
    response = client.get("/notifications/menu", htmx=True, headers={"HX-Current-URL": current})
    assert response.status_code == 401
    target = response.headers["HX-Redirect"]
    assert target.startswith("/auth/login")
    assert "evil.example" not in target.replace("http://evil.example", "")
    assert "javascript" not in target


def test_htmx_without_a_session_then_logging_in_brings_the_user_back(app, client, auth):
    user = factories.user(role="advisor")
    db.session.commit()
    response = client.post("/projects/1/move", htmx=True,
                           headers={"HX-Current-URL": "http://localhost/board?mine=1"})
    target = urlsplit(response.headers["HX-Redirect"])
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "Please log in to see this page." in login_page
    (next_value,) = parse_qs(target.query)["next"]
    assert f'value="{escape(next_value)}"' in login_page  # the form carries it
    response = client.post("/auth/login", data={
        "email": user.email, "password": factories.PASSWORD, "next": next_value})
    assert response.status_code == 303 and response.headers["Location"] == "/board?mine=1"


def test_public_routes_answer_anonymous_htmx_without_sending_to_log_in(app, client):
    for rule in _rules(app):
        if rule.endpoint in PUBLIC and "GET" in rule.methods:
            response = client.get(_url(app, rule, ANY_VALUES), htmx=True)
            response.close()
            assert response.status_code != 401 and "HX-Redirect" not in response.headers


# Logged in: GETs never write, every page varies on HX-Request ----------------------------


@contextmanager
def _writes() -> Iterator[list[str]]:
    """The tables written to (INSERT, UPDATE, DELETE) while the block runs."""
    tables: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if match := WRITE.match(statement):
            tables.append(match.group(1))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield tables
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def _world(role: str):
    """Something behind every route for a user of ``role``: a project they hold or follow,
    a shared note, a document, a next step, a notification."""
    user = factories.user(role=role)
    advisor = user if role == "advisor" else factories.user(role="advisor")
    project = factories.project(holders=[user] if role == "holder" else [],
                                advisor=advisor)
    draft = factories.project(holders=[user] if role == "holder" else [], status="draft",
                              stage_position=None)
    db.session.commit()
    note = _note(project, advisor, visibility="shared")
    item = step(project, user)
    doc = document(project, uploader=advisor)
    notice = Notification(user_id=user.id, kind=notify.STAGE_CHANGED, project_id=project.id,
                          detail={"title": project.title, "stage": "Émergence"})
    db.session.add(notice)
    organisation = create_organisation(None, name="Coop Bois", family="cooperative",
                                       contacts=({"name": "Anne Briand"},))
    mentorship = Mentorship(project_id=project.id, organisation_id=organisation.id,
                            started_on=date(2025, 1, 6))
    db.session.add(mentorship)
    db.session.add(Referral(project_id=project.id, direction="outgoing", referred_on=date(
        2025, 1, 6), partner=Partner(name="DLA 35")))  # referrals: id 1 (ANY_VALUES)
    partner = Partner(name="Région Bretagne", kind="region")  # supports
    db.session.add(partner)
    db.session.flush()
    support = add_support(None, project, partner, kind="grant", amount_cents=100,
                          status="requested", status_on=date(2025, 1, 6))
    db.session.commit()
    groups = _groups_world(project, organisation)
    partner = Partner(name="Redon Agglomération", kind="intercommunalite",
                      contacts=[PartnerContact(name="Claire Menard")])
    db.session.add(partner)
    db.session.commit()
    committees = committee_world(project)
    cohorts = _cohorts_world(project)
    return user, {**groups, **committees, **cohorts, "support_id": support.id, "partner_id": partner.id,
        "organisation_id": organisation.id, "contact_id": db.session.scalars(select(OrganisationContact)).first().id,
        "project_id": project.id, "stage_id": project.stage_id, "note_id": note.id,
        "document_id": doc.id, "step_id": item.id, "notification_id": notice.id,
        "user_id": user.id, "token": "not-a-token", "filename": "js/app.js",
        "draft_id": draft.id, "mentorship_id": mentorship.id, "import_id": 1,
        "row_id": 1,
    }


def _groups_world(project, organisation) -> dict:
    """A working group with the project, the organisation and a meeting with attendance."""
    from incubator.groups import services as groups

    group = groups.create_group(None, name="Éco-construction", kind="working_group")
    groups.add_organisation(None, group, organisation, date(2025, 1, 6))
    groups.add_project(None, group, project, date(2025, 1, 6))
    meeting = groups.create_meeting(None, group, starts_at=utcnow(), place="Redon")
    entry = groups.record_attendance(meeting, name="Anne Briand", status="present")
    db.session.commit()
    return {"group_id": group.id, "meeting_id": meeting.id, "attendance_id": entry.id}


def _cohorts_world(project) -> dict:
    """A cohort with the project in it."""
    from incubator.cohorts import services as cohorts

    cohort = cohorts.create_cohort(None, name="Idéateur — printemps 2027",
                                   starts_on=date(2027, 3, 1), ends_on=date(2027, 6, 30))
    cohorts.add_project(None, cohort, project)
    db.session.commit()
    return {"cohort_id": cohort.id}


def _get_urls(app: Flask, values: dict) -> list[str]:
    urls = [_url(app, rule, values) for rule in _rules(app) if "GET" in rule.methods]
    urls.append(_url(app, app.url_map._rules_by_endpoint["projects.edit"][0],
                     {**values, "project_id": values["draft_id"]}))
    return urls + ["/notifications/menu?close=1", "/notifications/bell?open=1",
                   "/notifications?page=2", "/board?mine=1", "/board/changes?token=x"]


def _check_vary(url: str, htmx: bool, response) -> None:
    if url.startswith("/static/"):
        assert "HX-Request" not in response.vary  # the same file for everyone
    else:
        assert "HX-Request" in response.vary, (url, htmx, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_writes_and_every_page_varies_on_hx_request(app, client, auth, role):
    """One crawl per role (the suite's time is shared) checks both rules."""
    user, values = _world(role)
    assert auth.login(user).status_code == 303
    urls = _get_urls(app, values)
    assert len(urls) > 25
    redirected = []
    for url in urls:
        for htmx in (False, True):
            with _writes() as tables:
                response = client.get(url, htmx=htmx)
                response.close()
            assert response.status_code < 500, (url, htmx)
            written = [t for t in tables if t not in WRITES_ALLOWED_ON_GET]
            assert written == [], f"GET {url} (htmx={htmx}) wrote to {written}"
            _check_vary(url, htmx, response)
            if htmx and 300 <= response.status_code < 400:
                redirected.append(url)
    # htmx would follow a redirect and swap the page it leads to into a fragment. (The public
    # pages that send a logged-in user home are full pages no htmx request asks for.)
    public = {_url(app, rule, values) for rule in _rules(app) if rule.endpoint in PUBLIC}
    assert [url for url in redirected if url not in public] == [], \
        "use hx_redirect (HX-Redirect) for htmx"


def test_every_page_varies_on_hx_request_for_anonymous_visitors_too(app, client):
    _, values = _world("holder")
    for url in _get_urls(app, values):
        for htmx in (False, True):
            response = client.get(url, htmx=htmx)
            response.close()
            _check_vary(url, htmx, response)


def test_the_csp_forbids_base_elements(client):
    for url in ("/", "/auth/login", "/no-such-page"):
        policy = client.get(url).headers["Content-Security-Policy"]
        assert "base-uri 'none'" in policy.split("; ")


# A mentor, route by route -----------------------------------------------------------------

# Open to any logged-in account (their own account, notifications, the directory without its
# contacts, their lists): a mentor is never refused there (ids of others' objects: 404).
MENTOR_OPEN = {
    "account.password", "account.sessions_page", "account.end_session",
    "account.end_other_sessions", "auth.logout", "main.set_language",
    "account.two_factor", "account.two_factor_start", "account.two_factor_confirm",
    "account.two_factor_codes", "account.two_factor_disable",
    "account.index", "account.rename", "account.language", "account.notifications",
    "account.request_email_change", "account.cancel_email_change", "account.confirm_email",
    "account.request_closure", "account.cancel_closure",
    "notifications.index", "notifications.open_link", "notifications.bell",
    "notifications.menu", "notifications.preferences", "notifications.mark_all_read",
    "members.index", "members.show", "partners.organisation_activity", "mentors.mine", "next_steps.mine", "projects.mine",
    "privacy.my_data", "privacy.download_my_data",  # one's own data export (issue 14)
}
# What a mentor may use on the project they mentor now (with their own note and step, and a
# shared document). Everything else answers 403 or 404, there and on any other project.
MENTOR_ON_THEIR_PROJECT = {
    "projects.show", "projects.history", "projects.description", "notes.index", "notes.show",
    "notes.create", "notes.edit", "notes.update", "notes.delete", "next_steps.done",
    "next_steps.undo", "documents.download", "mentoring.hours",
}
# Routes about the session itself: crawling them would log the crawler out.
ENDS_THE_SESSION = {"auth.logout", "account.end_session", "account.end_other_sessions",
                    "account.password"}


def _mentor_world():
    """A mentor account (a contact person) mentoring one project now, having mentored
    another; a third project never theirs. Each project has a note of theirs (or a staff's
    shared one), a step assigned to them and a shared document."""
    from datetime import date

    from incubator.models import Mentorship

    advisor = factories.user(role="advisor")
    holder = factories.user(role="holder")
    mentor = factories.user(role="mentor")
    organisation = create_organisation(None, name="Coop Bois", family="cooperative",
                                       contacts=({"name": "Anne Briand",
                                                  "email": mentor.email},))
    contact = db.session.scalars(select(OrganisationContact)).first()
    contact.user_id = mentor.id
    projects = {}
    former = None
    for name in ("theirs", "former", "other"):
        project = factories.project(holders=[holder], advisor=advisor)
        mentorship = None
        if name != "other":
            mentorship = Mentorship(
                project_id=project.id, organisation_id=organisation.id, contact_id=contact.id,
                role="sponsor", started_on=date(2025, 1, 6))
            db.session.add(mentorship)
            former = mentorship if name == "former" else former
        db.session.commit()
        note = _note(project, mentor if name != "other" else advisor, visibility="internal"
                     if name != "other" else "shared")
        projects[name] = {
            "project_id": project.id, "note_id": note.id, "step_id": step(project, mentor).id,
            "document_id": document(project, uploader=advisor).id, "user_id": holder.id,
            "organisation_id": organisation.id, "contact_id": contact.id, "stage_id":
            project.stage_id, "notification_id": 1, "session_id": 99, "token": "x",
            "filename": "js/app.js", "import_id": 1, "support_id": 1, "partner_id": 1,
            "mentorship_id": mentorship.id if mentorship is not None else 1}
    former.ended_on = date(2025, 6, 30)  # after their note: ending it ends the access
    db.session.commit()
    return mentor, projects


def _mentor_requests(app: Flask, values: dict, *, project_routes_only: bool):
    values = {**ANY_VALUES, **values}  # ids the mentor's world does not name (groups…)
    for rule in _rules(app):
        if rule.endpoint in PUBLIC or rule.endpoint in ENDS_THE_SESSION:
            continue
        if project_routes_only and "project_id" not in rule.arguments:
            continue
        for method in _methods(rule):
            yield rule.endpoint, method, _url(app, rule, values)


def test_a_mentor_is_refused_everywhere_but_their_routes_on_their_project(app, client, auth):
    mentor, projects = _mentor_world()
    assert auth.login(mentor).status_code == 303
    checked = 0
    for endpoint, method, url in _mentor_requests(app, projects["theirs"],
                                                  project_routes_only=False):
        for htmx in (False, True):
            response = client.open(url, method=method, htmx=htmx)
            status = response.status_code
            assert status < 500, (method, url, htmx)
            if endpoint in MENTOR_OPEN:
                assert status != 403, (method, url, htmx, status)
            elif endpoint in MENTOR_ON_THEIR_PROJECT:
                assert status not in (403, 404), (method, url, htmx, status)
            else:
                assert status in (403, 404), (method, url, htmx, status)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("which", ["former", "other"])
def test_a_mentor_gets_403_or_404_on_every_route_of_a_project_they_do_not_mentor_now(
        app, client, auth, which):
    """Their own note and step on a project whose mentorship ended stay out of reach: ending
    the mentorship ends the access."""
    mentor, projects = _mentor_world()
    assert auth.login(mentor).status_code == 303
    checked = 0
    for _endpoint, method, url in _mentor_requests(app, projects[which],
                                                   project_routes_only=True):
        for htmx in (False, True):
            response = client.open(url, method=method, htmx=htmx)
            assert response.status_code in (403, 404), (method, url, htmx,
                                                        response.status_code)
            checked += 1
    assert checked > 40
