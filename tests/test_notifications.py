"""Notifications: what sets them off (board moves, submitted ideas), the bell and its menu,
the /notifications page, the e-mail preference, and mail that survives a broken server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from incubator import jobs, mail, outbox
from incubator.board.services import move_project
from incubator.extensions import db
from incubator.models import Notification, OutgoingMail, Project, ProjectHolder, User, utcnow
from incubator.notifications import services as notify

from . import factories
from .helpers import count_statements


def _notifications(user=None, kind=None) -> list[Notification]:
    statement = select(Notification).order_by(Notification.id)
    if user is not None:
        statement = statement.where(Notification.user_id == user.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(statement))


def _mails() -> list[OutgoingMail]:
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def _given(user, count: int, *, project=None, read: int = 0, title: str = "Projet") -> list:
    """``count`` notifications for ``user`` (the first ``read`` of them read), oldest first,
    one minute apart; no mail."""
    user.email_notifications = False
    start = utcnow() - timedelta(hours=1)
    rows = []
    for i in range(count):
        row = Notification(
            user_id=user.id, kind=notify.STAGE_CHANGED,
            project_id=project.id if project else None,
            detail={"title": f"{title} {i + 1}", "stage": "Émergence"},
            created_at=start + timedelta(minutes=i),
            read_at=start if i < read else None,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def _move(client, project, stage_position: int, **extra):
    return client.post(f"/projects/{project.id}/move", data={
        "stage_id": factories.stage(stage_position).id, "version": project.version, **extra})


def _ids(html: str, prefix: str = "notification") -> list[int]:
    return [int(n) for n in re.findall(rf'id="{prefix}-(\d+)"', html)]


# What sets notifications off ---------------------------------------------------------------


def test_a_stage_change_tells_the_holders_and_the_advisor_who_did_not_move_it(client, auth):
    advisor = factories.user(role="advisor", name="Yann Le Goff")
    mover = factories.user(role="advisor", name="Sophie Maillard")
    anne, paul = factories.user(name="Anne"), factories.user(name="Paul")
    project = factories.project(title="Garage solidaire", holders=[anne, paul], advisor=advisor)
    db.session.commit()
    auth.login(mover)

    assert _move(client, project, 2).status_code == 303

    stage, stage_en = factories.stage(2).name, factories.stage(2).name_en
    for holder in (anne, paul):
        [told] = _notifications(holder)
        assert told.kind == notify.STAGE_CHANGED and told.project_id == project.id
        assert told.detail == {"title": "Garage solidaire", "stage": stage, "stage_en": stage_en}
        assert told.actor_id == mover.id
    [moved] = _notifications(advisor)
    assert moved.kind == notify.PROJECT_MOVED
    assert moved.detail["actor"] == "Sophie Maillard" and moved.detail["stage"] == stage
    assert _notifications(mover) == []
    # Each of them wanted e-mails: one queued (and, the server being the log, sent) each.
    mails = _mails()
    assert sorted(m.to for m in mails) == sorted([anne.email, paul.email, advisor.email])
    assert all(m.sent_at is not None and m.attempts == 1 for m in mails)


def test_the_move_service_finds_the_holders_when_the_caller_did_not_load_them(app):
    advisor_id, holder = factories.user(role="advisor").id, factories.user()
    project_id, holder_id = factories.project(holders=[holder]).id, holder.id
    db.session.commit()
    db.session.expunge_all()
    project = db.session.get(Project, project_id)  # holders not loaded
    with app.test_request_context():
        move_project(project, db.session.get(User, advisor_id), stage_id=factories.stage(2).id,
                     seen_version=project.version)
    assert [n.user_id for n in _notifications()] == [holder_id]


def test_a_reorder_within_the_column_tells_nobody(client, auth):
    advisor = factories.user(role="advisor")
    holder = factories.user()
    first = factories.project()
    project = factories.project(holders=[holder], advisor=factories.user(role="advisor"))
    db.session.commit()
    auth.login(advisor)
    assert _move(client, project, 1, after_id=0).status_code == 303
    assert db.session.get(Project, project.id).position < db.session.get(Project, first.id).position
    assert _notifications() == [] and _mails() == []


def test_the_advisor_who_moves_their_own_project_is_not_told(client, auth):
    advisor = factories.user(role="advisor")
    holder = factories.user()
    project = factories.project(holders=[holder], advisor=advisor)
    db.session.commit()
    auth.login(advisor)
    assert _move(client, project, 2).status_code == 303
    assert _notifications(advisor) == []
    assert [n.kind for n in _notifications(holder)] == [notify.STAGE_CHANGED]


def test_an_htmx_move_notifies_too(client, auth):
    advisor = factories.user(role="advisor")
    holder = factories.user()
    project = factories.project(holders=[holder])
    db.session.commit()
    auth.login(advisor)
    response = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": factories.stage(2).id, "version": project.version})
    assert response.status_code == 200
    assert len(_notifications(holder)) == 1


def test_a_refused_move_notifies_nobody(client, auth):
    advisor = factories.user(role="advisor")
    holder = factories.user()
    project = factories.project(holders=[holder])
    db.session.commit()
    auth.login(advisor)
    response = client.post(f"/projects/{project.id}/move", data={
        "stage_id": factories.stage(2).id, "version": project.version + 5})
    assert response.status_code == 409
    assert _notifications() == [] and _mails() == []


def test_a_submitted_idea_tells_every_active_advisor_and_manager(client, login):
    advisors = [factories.user(role="advisor"), factories.user(role="advisor")]
    manager = factories.user(role="manager")
    factories.user(role="advisor", active=False)
    factories.user(role="mentor")
    other_holder = factories.user()
    db.session.commit()
    holder = login("holder")

    response = client.post("/projects/new", data=factories.complete_idea(submit_idea="y"))
    assert response.status_code == 303

    project = db.session.scalar(select(Project))
    told = _notifications(kind=notify.IDEA_SUBMITTED)
    assert sorted(n.user_id for n in told) == sorted(u.id for u in [*advisors, manager])
    assert all(n.project_id == project.id and n.actor_id == holder.id for n in told)
    assert _notifications(other_holder) == [] and _notifications(holder) == []


def test_saving_a_draft_tells_nobody(client, login):
    factories.user(role="advisor")
    db.session.commit()
    login("holder")
    client.post("/projects/new", data=factories.complete_idea(save_draft="y"))
    assert db.session.scalar(select(Project)).status == "draft"
    assert _notifications() == []


# The bell ---------------------------------------------------------------------------------


def test_the_header_bell_shows_the_unread_count_in_words_for_screen_readers(client, login):
    user = login("holder")
    _given(user, 4, read=1)
    _given(factories.user(), 5)  # someone else's
    db.session.commit()
    html = client.get("/projects/mine").get_data(as_text=True)
    assert 'id="notification-bell"' in html and 'data-unread="3"' in html
    assert '<span class="notification-count" aria-hidden="true">3</span>' in html
    assert '<span class="visually-hidden">3 unread notifications</span>' in html
    assert 'href="/notifications"' in html and 'hx-get="/notifications/menu"' in html


def test_no_badge_when_everything_is_read(client, login):
    user = login("advisor")
    _given(user, 2, read=2)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    assert 'data-unread="0"' in html and "notification-count" not in html
    assert '<span class="visually-hidden">Notifications</span>' in html


def test_anonymous_pages_have_no_bell(client):
    assert "notification-bell" not in client.get("/").get_data(as_text=True)


def test_the_bell_polls_at_the_configured_interval(app, client, login):
    login("holder")
    assert 'hx-trigger="every 30s"' in client.get("/projects/mine").get_data(as_text=True)
    app.config["NOTIFICATION_POLL_SECONDS"] = 1
    assert 'hx-trigger="every 1s"' in client.get("/projects/mine").get_data(as_text=True)


def test_the_bell_fragment_answers_htmx_and_sends_a_plain_request_to_the_page(client, login):
    user = login("holder")
    _given(user, 2)
    db.session.commit()

    plain = client.get("/notifications/bell")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/notifications")
    assert "HX-Request" in plain.vary

    response = client.get("/notifications/bell", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<span id="notification-bell"')
    assert "2 unread notifications" in html and "<html" not in html
    assert 'hx-get="/notifications/bell?shown=2"' in html


def test_the_bell_poll_costs_one_count_and_says_nothing_when_unchanged(client, login):
    user = login("holder")
    _given(user, 2)
    db.session.commit()
    with count_statements() as statements:
        response = client.get("/notifications/bell?shown=2", htmx=True)
    assert response.status_code == 204 and response.get_data() == b""
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and len(statements) <= 2  # the user, the count

    _given(user, 1)
    db.session.commit()
    response = client.get("/notifications/bell?shown=2", htmx=True)
    assert response.status_code == 200 and 'data-unread="3"' in response.get_data(as_text=True)
    # While the menu is open, the refreshed bell still closes it.
    html = client.get("/notifications/bell?shown=2&open=1", htmx=True).get_data(as_text=True)
    assert 'aria-expanded="true"' in html and 'hx-get="/notifications/menu?close=1"' in html
    assert 'hx-get="/notifications/bell?shown=3&amp;open=1"' in html


# The menu ---------------------------------------------------------------------------------


def test_the_menu_lists_the_ten_latest_and_opening_it_marks_nothing_read(client, login):
    user = login("holder")
    rows = _given(user, 12)
    db.session.commit()

    response = client.get("/notifications/menu", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<div id="notification-menu"')
    newest_first = [r.id for r in reversed(rows)][:10]
    assert _ids(html, "menu-notification") == newest_first
    assert html.count('class="notification unread"') == 10
    assert "“Projet 12” moved to the stage Émergence." in html
    # The bell comes along, out of band, with what is unread, and the menu open.
    assert 'id="notification-bell" class="notification-bell" hx-swap-oob="true"' in html
    assert 'data-unread="12"' in html and 'aria-expanded="true"' in html
    assert 'hx-get="/notifications/menu?close=1"' in html
    # A GET never writes: everything is still unread, and shown so again.
    assert all(n.read_at is None for n in _notifications(user))
    again = client.get("/notifications/menu", htmx=True).get_data(as_text=True)
    assert again.count('class="notification unread"') == 10


def test_the_menu_marks_all_read_with_htmx(client, login):
    user = login("holder")
    _given(user, 3)
    db.session.commit()
    html = client.get("/notifications/menu", htmx=True).get_data(as_text=True)
    assert 'hx-post="/notifications/read?menu=1"' in html
    response = client.post("/notifications/read?menu=1", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<div id="notification-menu"')
    assert 'class="notification unread"' not in html and 'data-unread="0"' in html
    assert "All your notifications are marked as read." in html
    assert all(n.read_at is not None for n in _notifications(user))


def test_following_a_notification_marks_it_read_and_opens_its_project(client, login):
    holder = login("holder")
    project = factories.project(title="Le mien", holders=[holder])
    first, second = _given(holder, 2, project=project, title="Le mien")
    db.session.commit()
    html = client.get("/notifications").get_data(as_text=True)
    assert (f'<a href="/projects/{project.id}" hx-post="/notifications/{first.id}/open">'
            in html)

    response = client.post(f"/notifications/{first.id}/open", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/projects/{project.id}"
    assert db.session.get(Notification, first.id).read_at is not None
    assert db.session.get(Notification, second.id).read_at is None

    plain = client.post(f"/notifications/{second.id}/open")
    assert plain.status_code == 303 and plain.headers["Location"] == f"/projects/{project.id}"
    assert db.session.get(Notification, second.id).read_at is not None


def test_nobody_opens_someone_elses_notification(client, auth):
    anne, paul = factories.user(name="Anne"), factories.user(name="Paul")
    (pauls,) = _given(paul, 1)
    db.session.commit()
    auth.login(anne)
    assert client.post(f"/notifications/{pauls.id}/open").status_code == 404
    assert client.post(f"/notifications/{pauls.id}/open", csrf=False).status_code == 400
    assert db.session.get(Notification, pauls.id).read_at is None


def test_the_menu_closes_and_a_plain_request_goes_to_the_page(client, login):
    login("holder")
    closed = client.get("/notifications/menu?close=1", htmx=True)
    html = closed.get_data(as_text=True)
    assert closed.status_code == 200 and "HX-Request" in closed.vary
    assert html.startswith('<div id="notification-menu" class="notification-menu" hidden></div>')
    assert 'hx-swap-oob="true"' in html and 'aria-expanded="false"' in html
    assert 'hx-get="/notifications/menu"' in html
    plain = client.get("/notifications/menu")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/notifications")


def test_the_menu_says_when_there_is_nothing(client, login):
    login("advisor")
    html = client.get("/notifications/menu", htmx=True).get_data(as_text=True)
    assert "You have no notifications." in html


# The page ---------------------------------------------------------------------------------


def test_the_page_lists_newest_first_thirty_at_a_time(client, login):
    user = login("holder")
    rows = _given(user, 35)
    db.session.commit()
    newest_first = [r.id for r in reversed(rows)]

    response = client.get("/notifications")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert "<h1>Notifications</h1>" in html
    assert _ids(html) == newest_first[:30]
    assert "Page 1 of 2" in html and 'href="/notifications?page=2"' in html

    second = client.get("/notifications?page=2", htmx=True)
    fragment = second.get_data(as_text=True)
    assert second.status_code == 200 and "HX-Request" in second.vary
    assert fragment.lstrip().startswith('<section id="notification-list"')
    assert "<html" not in fragment and _ids(fragment) == newest_first[30:]
    assert 'hx-swap-oob="true"' in fragment  # the bell, with what remains unread
    assert client.get("/notifications?page=99").status_code == 200


def test_opening_the_page_shows_the_unread_and_marks_nothing_read(client, login):
    user = login("holder")
    _given(user, 3, read=1)
    db.session.commit()
    for _ in range(2):
        html = client.get("/notifications").get_data(as_text=True)
        assert html.count('class="notification unread"') == 2
        assert html.count(">New</span>") == 2
        assert 'data-unread="2"' in html
    assert sum(n.read_at is None for n in _notifications(user)) == 2


def test_each_user_sees_only_their_own_notifications(client, auth):
    anne, paul = factories.user(name="Anne"), factories.user(name="Paul")
    _given(anne, 2, title="Pour Anne")
    pauls = _given(paul, 3, title="Pour Paul")
    db.session.commit()
    auth.login(anne)

    page = client.get("/notifications").get_data(as_text=True)
    menu = client.get("/notifications/menu", htmx=True).get_data(as_text=True)
    bell = client.get("/notifications/bell", htmx=True).get_data(as_text=True)
    for html in (page, menu):
        assert "Pour Anne" in html and "Pour Paul" not in html
    assert 'data-unread="2"' in bell  # Anne's two, none of Paul's three
    client.post("/notifications/read")
    assert all(db.session.get(Notification, n.id).read_at is None for n in pauls)


def test_the_sentence_links_to_the_project_only_while_the_reader_may_see_it(client, login):
    holder = login("holder")
    own = factories.project(title="Le mien", holders=[holder])
    former = factories.project(title="Plus le mien", holders=[holder])
    _given(holder, 1, project=own, title="Le mien")
    _given(holder, 1, project=former, title="Plus le mien")
    db.session.execute(ProjectHolder.__table__.delete().where(
        ProjectHolder.project_id == former.id))
    db.session.commit()
    html = client.get("/notifications").get_data(as_text=True)
    assert re.search(rf'<a href="/projects/{own.id}" hx-post="[^"]+">“Le mien 1” moved', html)
    assert f"/projects/{former.id}" not in html
    assert "“Plus le mien 1” moved to the stage Émergence." in html


def test_the_page_shows_who_did_it(client, auth):
    mover = factories.user(role="advisor", name="Sophie Maillard")
    holder = factories.user()
    project = factories.project(title="Recyclerie", holders=[holder])
    db.session.commit()
    auth.login(mover)
    _move(client, project, 2)
    auth.logout()
    auth.login(holder)
    html = client.get("/notifications").get_data(as_text=True)
    assert f"“Recyclerie” moved to the stage {factories.stage(2).name_en}." in html
    assert "Sophie Maillard · <time" in html


def test_the_page_costs_the_same_number_of_statements_whatever_its_length(client, login):
    user = login("holder")
    project = factories.project(holders=[user])
    actor = factories.user(role="advisor")
    _given(user, 3, project=project)
    db.session.commit()

    def statements_for_page() -> int:
        for row in _notifications(user):
            row.read_at, row.actor_id = None, actor.id
        db.session.commit()
        with count_statements() as statements:
            assert client.get("/notifications").status_code == 200
            assert client.get("/notifications/menu", htmx=True).status_code == 200
        return len(statements)

    few = statements_for_page()
    _given(user, 40, project=project)
    db.session.commit()
    assert statements_for_page() == few


# Mark all as read -------------------------------------------------------------------------


def test_mark_all_as_read_with_a_plain_form(client, login):
    user = login("holder")
    _given(user, 35)
    db.session.commit()
    html = client.get("/notifications").get_data(as_text=True)  # reads the first 30
    assert "Mark all as read" in html and "5 unread notifications" in html

    response = client.post("/notifications/read", data={"page": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications")
    assert all(n.read_at is not None for n in _notifications(user))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "All your notifications are marked as read." in page
    assert "Mark all as read" not in page


def test_mark_all_as_read_with_htmx(client, login):
    user = login("holder")
    _given(user, 4)
    db.session.commit()
    response = client.post("/notifications/read", htmx=True, data={"page": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<section id="notification-list"')
    assert 'class="notification unread"' not in html and len(_ids(html)) == 4
    assert '<div id="messages" hx-swap-oob="innerHTML">' in html
    assert "All your notifications are marked as read." in html
    assert 'hx-swap-oob="true"' in html and 'data-unread="0"' in html
    assert all(n.read_at is not None for n in _notifications(user))


def test_mark_all_as_read_needs_the_csrf_token(client, login):
    user = login("holder")
    _given(user, 1)
    db.session.commit()
    assert client.post("/notifications/read", csrf=False).status_code == 400
    assert client.post("/notifications/preferences", csrf=False).status_code == 400
    assert _notifications(user)[0].read_at is None


# E-mail preference ------------------------------------------------------------------------


def test_the_page_offers_the_email_preference(client, login):
    login("holder")
    html = client.get("/notifications").get_data(as_text=True)
    assert 'id="notification-preferences"' in html
    assert "Send me these notifications by e-mail" in html
    assert re.search(r'<input [^>]*checked id="email_notifications"[^>]*type="checkbox"', html)


def test_turning_emails_off_with_a_plain_form_stops_the_mails(client, auth):
    holder = factories.user()
    project = factories.project(holders=[holder])
    db.session.commit()
    auth.login(holder)

    response = client.post("/notifications/preferences", data={})  # unchecked box
    assert response.status_code == 303
    assert db.session.get(type(holder), holder.id).email_notifications is False
    page = client.get("/notifications").get_data(as_text=True)
    assert "You will no longer receive notifications by e-mail." in page
    assert 'id="email_notifications"' in page and 'checked id="email_notifications"' not in page

    auth.logout()
    advisor = factories.user(role="advisor")
    db.session.commit()  # before logging in: the request uses its own session
    assert auth.login(advisor).status_code == 303
    _move(client, db.session.get(Project, project.id), 2)
    assert len(_notifications(holder)) == 1  # still told in the app
    assert _mails() == []


def test_turning_emails_back_on_with_htmx(client, login, app):
    user = login("holder")
    user.email_notifications = False
    db.session.commit()
    response = client.post("/notifications/preferences", htmx=True,
                           data={"email_notifications": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<section id="notification-preferences"')
    assert "You will receive your notifications by e-mail too." in html
    assert '<div id="messages" hx-swap-oob="innerHTML">' in html
    assert db.session.get(type(user), user.id).email_notifications is True

    with app.test_request_context():
        notify.notify([db.session.get(type(user), user.id)], notify.NOTE_SHARED,
                      factories.project(title="Tiers-lieu"), None)
        db.session.commit()
    [queued] = _mails()
    # Mails are written in the reader's language: French by default.
    assert queued.to == user.email and "« Tiers-lieu »" in queued.subject
    assert "/notifications" in queued.body and queued.sent_at is None  # sent after a response


def test_notify_queues_mail_only_for_those_who_want_it(app):
    wants, does_not = factories.user(), factories.user()
    does_not.email_notifications = False
    actor = factories.user(role="advisor")
    inactive = factories.user(active=False)
    with app.test_request_context():
        created = notify.notify([wants, does_not, actor, inactive, wants], notify.STAGE_CHANGED,
                                factories.project(title="Gîte"), actor, stage="Lancement")
    assert sorted(n.user_id for n in created) == sorted([wants.id, does_not.id])
    assert [m.to for m in _mails()] == [wants.email]
    assert "http://localhost/projects/" in _mails()[0].body


# Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [
    ("get", "/notifications"), ("get", "/notifications/menu"), ("get", "/notifications/bell"),
    ("post", "/notifications/read"), ("post", "/notifications/preferences"),
])
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/auth/login")
    # htmx (the bell's poll too): the whole page goes to the login page, back here after.
    response = getattr(client, method)(url, htmx=True,
                                       headers={"HX-Current-URL": "http://localhost/board"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/board"


# Mail that does not get through -----------------------------------------------------------


def test_a_failing_mail_server_leaves_the_move_done_and_the_mail_queued(app, client, auth,
                                                                          monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    tried = []

    def broken(message):
        tried.append(message["To"])
        raise OSError("Connection refused")

    monkeypatch.setattr(mail, "_send_smtp", broken)
    holder = factories.user()
    project = factories.project(holders=[holder])
    advisor = factories.user(role="advisor")
    db.session.commit()
    auth.login(advisor)

    response = _move(client, project, 2)
    assert response.status_code == 303
    assert db.session.get(Project, project.id).stage_id == factories.stage(2).id
    assert tried == [holder.email]
    [queued] = _mails()
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error
    assert queued.next_attempt_at > utcnow() + timedelta(seconds=50)  # tried again in 1 min
    assert len(_notifications(holder)) == 1

    # The server is back; the worker leaves the mail until its next attempt, then sends it,
    # once.
    sent = []
    monkeypatch.setattr(mail, "_send_smtp", lambda message: sent.append(message["To"]))
    worker = ["worker", "--once"]
    assert "0 sent, 0 failed." in app.test_cli_runner().invoke(args=worker).output
    queued.next_attempt_at = utcnow()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=worker)
    assert result.exit_code == 0 and "1 sent, 0 failed." in result.output
    assert sent == [holder.email]
    db.session.refresh(queued)
    assert queued.sent_at is not None and queued.attempts == 2 and queued.last_error is None
    assert "0 sent, 0 failed." in app.test_cli_runner().invoke(args=worker).output


def test_a_failing_htmx_move_answer_is_still_a_success(app, client, auth, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    monkeypatch.setattr(mail, "_send_smtp", lambda message: (_ for _ in ()).throw(
        OSError("timed out")))
    holder = factories.user()
    project = factories.project(holders=[holder])
    advisor = factories.user(role="advisor")
    db.session.commit()
    auth.login(advisor)
    response = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": factories.stage(2).id, "version": project.version})
    assert response.status_code == 200
    assert _mails()[0].last_error and _mails()[0].sent_at is None


def test_the_worker_sends_what_is_due_leaves_the_rest_and_never_sends_twice(app):
    due = OutgoingMail(to="a@example.org", subject="Due", body="…")
    later = OutgoingMail(to="b@example.org", subject="Plus tard", body="…",
                         next_attempt_at=utcnow() + timedelta(minutes=5))
    spent = OutgoingMail(to="c@example.org", subject="Abandonné", body="…", attempts=6,
                         last_error="Connection refused", failed_at=utcnow())
    db.session.add_all([due, later, spent])
    db.session.commit()
    ids = jobs.claim(OutgoingMail, 50)
    assert ids == [due.id]
    assert jobs.claim(OutgoingMail, 50) == []  # claimed: no other worker takes it
    assert outbox.send_claimed(ids) == (1, 0, [])
    assert db.session.get(OutgoingMail, due.id).sent_at is not None
    assert jobs.claim(OutgoingMail, 50) == []  # sent: never twice


def test_an_unexpected_error_for_one_mail_does_not_stop_the_others(app, monkeypatch):
    first = OutgoingMail(to="a@example.org", subject="Un", body="…")
    second = OutgoingMail(to="b@example.org", subject="Deux", body="…")
    db.session.add_all([first, second])
    db.session.commit()
    real = mail.send_mail

    def flaky(to, subject, body, **options):
        if subject == "Un":
            raise UnicodeEncodeError("ascii", "é", 0, 1, "no")
        return real(to, subject, body, **options)

    monkeypatch.setattr(mail, "send_mail", flaky)
    assert outbox.send_claimed(jobs.claim(OutgoingMail, 50)) == (1, 1, [])
    assert "UnicodeEncodeError" in db.session.get(OutgoingMail, first.id).last_error
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.sent_at.is_not(None))) == 1
