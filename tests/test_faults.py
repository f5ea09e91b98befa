"""Faults (issue 15): errors say what became of the change (saved, not saved, unknown), a
database out of reach gets a 503 with Retry-After rendered without the database, a failing
error handler falls back to a static page, pre-ping recovers from dropped connections, and
the liveness and readiness probes."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError, PendingRollbackError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from incubator import database, errors
from incubator.board import answers
from incubator.board import routes as board_routes
from incubator.extensions import db, limiter
from incubator.models import Project

from . import factories
from .conftest import TEST_DATABASE_URL, is_postgres, make_app, reset_database

V = factories.SUBMITTED_VERSION
SAVED = "Your change was saved before the error"
NOT_SAVED = "Nothing was saved"
UNKNOWN = "may or may not have been recorded"


def _move(client, project, *, htmx: bool, headers=None):
    data = {"stage_id": factories.stage(2).id, "version": V}
    return client.post(f"/projects/{project.id}/move", data=data, htmx=htmx, headers=headers)


def _stage_position(project) -> int:
    db.session.expire_all()
    stage_id = db.session.get(Project, project.id).stage_id
    return next(position for position in (1, 2) if factories.stage(position).id == stage_id)


@pytest.fixture
def failing(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    return app


@pytest.fixture
def garage(failing, login) -> Project:
    """An advisor logged in (with the failing app) and a project for them to move, in
    stage 1 at version ``V``."""
    login("advisor")
    project = factories.project(title="Garage solidaire")
    db.session.commit()
    return project


@pytest.fixture
def broken(monkeypatch):
    """``broken(target, name)``: ``target.name`` raises RuntimeError when called."""
    def replace(target, name: str, message: str = "bug") -> None:
        def fail(*args, **kwargs):
            raise RuntimeError(message)

        monkeypatch.setattr(target, name, fail)
    return replace


@pytest.fixture
def refused(app):
    """``with refused() as tried:`` every statement the app sends meanwhile fails as a lost
    connection does (a 503) and is listed in ``tried``. The app answers as in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @contextlib.contextmanager
    def refusing():
        tried: list[str] = []

        def refuse(conn, cursor, statement, *args):
            tried.append(statement)
            raise OperationalError(statement, {}, Exception("unable to open database file"),
                                   connection_invalidated=True)

        event.listen(db.engine, "before_cursor_execute", refuse)
        try:
            yield tried
        finally:
            event.remove(db.engine, "before_cursor_execute", refuse)
    return refusing


# -- saved, not saved, unknown -----------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_a_move_that_fails_after_its_commit_says_it_was_saved(garage, client, broken, htmx):
    project = garage
    broken(answers, "changed", "the answer could not be built")
    response = _move(client, project, htmx=htmx)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert SAVED in html and NOT_SAVED not in html and "Reload the page" in html
    assert _stage_position(project) == 2  # it was indeed saved
    if htmx:
        assert response.headers["HX-Retarget"] == "#messages"
        assert 'data-status="500"' in html and "<html" not in html
    else:
        assert "<html" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_move_that_fails_before_its_commit_says_nothing_was_saved(garage, client, broken,
                                                                   htmx):
    project = garage
    broken(board_routes, "move_project", "a bug in the service")
    response = _move(client, project, htmx=htmx)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert NOT_SAVED in html and SAVED not in html and UNKNOWN not in html
    assert _stage_position(project) == 1
    assert ("HX-Retarget" in response.headers) == htmx


@contextlib.contextmanager
def _commit_fails(error: Exception):
    """Every COMMIT sent to the database fails with ``error`` (after database.py saw it
    sent: class-level listeners run before the engine's own)."""
    def boom(connection):
        raise error

    event.listen(db.engine, "commit", boom)
    try:
        yield
    finally:
        event.remove(db.engine, "commit", boom)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_move_whose_commit_fails_says_it_is_unknown_with_a_reload(garage, client, htmx):
    with _commit_fails(RuntimeError("connection lost during COMMIT")):
        response = _move(client, garage, htmx=htmx)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert UNKNOWN in html and NOT_SAVED not in html and SAVED not in html
    assert "Reload the page" in html


def test_a_commit_lost_with_the_connection_is_a_503_saying_it_is_unknown(garage, client):
    lost = OperationalError("COMMIT", {}, Exception("server closed the connection"),
                            connection_invalidated=True)
    with _commit_fails(lost):
        response = _move(client, garage, htmx=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert UNKNOWN in response.get_data(as_text=True)


def test_the_session_bookkeeping_commit_before_the_view_is_not_the_users_change(
        garage, client, broken, monkeypatch):
    """The user loader commits "last seen" before the view: a failure in the view still
    says nothing was saved."""
    monkeypatch.setattr("incubator.auth.sessions.TOUCH_EVERY", __import__("datetime").timedelta(0))
    broken(board_routes, "move_project")
    html = _move(client, garage, htmx=True).get_data(as_text=True)
    assert NOT_SAVED in html


def test_a_page_that_fails_says_to_reload_and_nothing_about_saving(failing, client):
    def explode():
        raise RuntimeError("bug")

    failing.add_url_rule("/explode", "explode", explode)
    english = client.get("/explode").get_data(as_text=True)
    assert "The page could not be shown: reload it" in english
    assert SAVED not in english and NOT_SAVED not in english
    french = client.get("/explode", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "La page n’a pas pu être affichée" in french


def test_the_french_messages_say_the_same(garage, client, broken):
    broken(answers, "changed")
    html = _move(client, garage, htmx=True,
                 headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Votre modification a été enregistrée avant l’erreur" in html


# -- the last resort ---------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_an_error_handler_that_fails_gives_a_static_page_not_a_bare_500(failing, client,
                                                                       monkeypatch, htmx):
    def explode():
        raise RuntimeError("bug")

    def broken_template(*args, **kwargs):
        raise RuntimeError("the error page itself fails")

    failing.add_url_rule("/explode", "explode", explode)
    monkeypatch.setattr(errors, "render_template", broken_template)
    response = client.get("/explode", htmx=htmx)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Nous ne savons pas si ce que vous avez fait a été enregistré" in html
    assert response.headers["X-Request-ID"] in html
    assert ("HX-Retarget" in response.headers) == htmx


# -- the database out of reach -----------------------------------------------------------------

def _logged_in_cookie(app, role: str = "advisor") -> str:
    """A session cookie of a logged-in user (valid for every app of the test settings:
    same secret key)."""
    user = factories.user(role=role)
    db.session.commit()
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    return client.get_cookie("session").value


KINDS = [  # method, path, htmx
    ("GET", "/board", False), ("GET", "/board", True), ("GET", "/", False),
    ("POST", "/projects/1/move", True), ("POST", "/projects/1/move", False),
]


def _check_unavailable(client, french: bool = False):
    for method, path, htmx in KINDS:
        response = client.open(path, method=method, htmx=htmx,
                               data={"stage_id": "2", "version": "1"} if method == "POST" else None,
                               headers={"Accept-Language": "fr"} if french else None)
        assert response.status_code == 503, (method, path, htmx)
        assert response.headers["Retry-After"] == "10"
        html = response.get_data(as_text=True)
        if htmx:
            assert response.headers["HX-Retarget"] == "#messages"
            assert 'data-status="503"' in html and "<html" not in html
        else:
            assert "<html" in html and "CADES" in html  # the configured pole's name
        assert ("Rien n’a été enregistré" if french else NOT_SAVED) in html \
            if method == "POST" else True
    assert client.get("/static/js/app.js").status_code == 200
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503 and ready.json["database"] == "unreachable"
    assert ready.headers["Retry-After"] == "10"


def test_postgresql_refusing_connections_gives_503_everywhere(app):
    cookie = _logged_in_cookie(app)
    down = make_app("postgresql+psycopg://root@127.0.0.1:1/incubator")  # nothing listens
    down.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with down.app_context():
            client = down.test_client()
            client.set_cookie("session", cookie)
            _check_unavailable(client)
            _check_unavailable(client, french=True)
    finally:
        with down.app_context():
            db.engine.dispose()


def test_the_503_answer_reads_nothing_from_the_database(refused, client, login):
    """Only the statement that failed was tried: the handler and its template asked the
    database nothing more (no user, no pole settings, no bell)."""
    login("manager")
    with refused() as tried:
        for method, path, htmx in KINDS:
            tried.clear()
            response = client.open(path, method=method, htmx=htmx,
                                   data={} if method == "POST" else None)
            assert response.status_code == 503 and len(tried) == 1, (path, tried)


def test_the_503_speaks_the_language_the_session_chose(refused, client, login):
    login("manager")
    client.post("/language", data={"locale": "en"})
    with refused():
        html = client.get("/board", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Service unavailable" in html and 'lang="en"' in html


@pytest.mark.parametrize("how", ["directory", "garbage"])
def test_an_unusable_sqlite_file_gives_503(tmp_path, how):
    """Tests run as root, for whom chmod 000 stops nothing: the file is replaced by a
    directory ("unable to open database file") or overwritten with bytes that are not a
    database ("file is not a database"), the two failures a wrong or damaged path gives."""
    path = tmp_path / "incubator.sqlite3"
    app = make_app(f"sqlite:///{path}")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    reset_database(app)
    with app.app_context():
        cookie = _logged_in_cookie(app)
        db.session.remove()
        db.engine.dispose()
        if how == "directory":
            os.remove(path)
            os.mkdir(path)
        else:
            path.write_bytes(b"not a database, " * 512)
        try:
            client = app.test_client()
            client.set_cookie("session", cookie)
            _check_unavailable(client)
        finally:
            db.engine.dispose()
            if path.is_dir():
                shutil.rmtree(path)


@pytest.mark.skipif(not is_postgres(TEST_DATABASE_URL), reason="PostgreSQL only")
def test_postgresql_connections_killed_are_replaced_by_the_next_request(app, client, login):
    """pg_terminate_backend on every connection of the app (what a restart does to them):
    pool pre-ping notices, the next request succeeds. The shared cluster is not restarted."""
    login("advisor")
    assert client.get("/board").status_code == 200
    assert db.engine.pool._pre_ping  # the engine really has it
    db.session.remove()  # the test's own session gives its connection back to the pool
    assert _kill_other_backends() >= 1
    assert client.get("/board").status_code == 200
    assert client.get("/healthz/ready").status_code == 200


# -- probes ------------------------------------------------------------------------------------

def test_liveness_reads_no_database_and_sets_no_cookie(app, client, login):
    login("advisor")
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == [] and "Set-Cookie" not in response.headers


def test_readiness_checks_the_database_and_the_limits_store(app, client, monkeypatch):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "limits": "ok"}
    assert "Set-Cookie" not in response.headers
    monkeypatch.setattr(limiter.storage, "check", lambda: False)
    response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json["limits"] == "unreachable"
    assert response.json["status"] == "not ready" and response.headers["Retry-After"]


def test_readiness_is_never_limited_and_asks_at_most_once_a_second(app, client, monkeypatch):
    """A load balancer may probe as often as it likes (no 429): each process keeps its
    answer READY_CACHE_SECONDS, so the probes cost one SELECT 1 a second at most."""
    from incubator.main import routes as main_routes

    app.config.update(READY_CACHE_SECONDS=1, RATELIMIT_ENABLED=True)
    clock = [1000.0]
    monkeypatch.setattr(main_routes, "time", type("Clock", (), {
        "monotonic": staticmethod(lambda: clock[0])}))
    selects: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.strip() == "SELECT 1":
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        answers = [client.get("/healthz/ready") for _ in range(40)]
        assert {r.status_code for r in answers} == {200} and len(selects) == 1
        monkeypatch.setattr(limiter.storage, "check", lambda: False)
        clock[0] += 0.9  # within the second: the answer kept
        assert client.get("/healthz/ready").status_code == 200 and len(selects) == 1
        clock[0] += 0.2  # past it: asked afresh
        response = client.get("/healthz/ready")
        assert response.status_code == 503 and len(selects) == 2
        assert response.json == {"status": "not ready", "database": "ok",
                                 "limits": "unreachable"}
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _kill_other_backends() -> int:
    killer = create_engine(TEST_DATABASE_URL, poolclass=NullPool)
    try:
        with killer.connect() as connection:
            return connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    finally:
        killer.dispose()


@pytest.mark.skipif(not is_postgres(TEST_DATABASE_URL), reason="PostgreSQL only")
def test_a_request_whose_connection_dies_midway_gets_a_503_and_the_next_one_works(app, client,
                                                                                 caplog):
    """The connection is killed between two statements of one request (a restart during a
    request): that request gets the 503 (nothing saved), the next one a new connection.
    The 503's rollback works (an engine "rollback" listener that read ``Connection.info``
    raised PendingRollbackError inside it: any code rolling back after a lost connection
    then failed with a 500)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def midway():
        db.session.execute(text("SELECT 1"))
        _kill_other_backends()
        db.session.execute(text("SELECT 1"))
        return "unreachable"

    app.add_url_rule("/midway", "midway", midway, methods=["POST"])
    db.session.remove()
    with caplog.at_level(logging.WARNING):
        response = client.post("/midway", htmx=True)
    assert response.status_code == 503 and NOT_SAVED in response.get_data(as_text=True)
    assert not [r for r in caplog.records if "Rollback failed" in r.getMessage()]
    assert client.get("/healthz/ready").status_code == 200
    assert client.get("/auth/login").status_code == 200


@pytest.mark.skipif(not is_postgres(TEST_DATABASE_URL), reason="PostgreSQL only")
def test_a_lost_connection_whose_error_a_page_caught_still_gives_a_503(app, client):
    """A part of the page catches the database error and shows a fallback (the pole's
    settings, the bell); the request's next statement then meets the invalidated connection
    (SQLAlchemy's PendingRollbackError, not a DBAPIError): a 503 too, never the 500 that
    bench/stress.py --restart-postgres saw once in a few runs."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def caught_then_next():
        db.session.execute(text("SELECT 1"))
        _kill_other_backends()
        with contextlib.suppress(SQLAlchemyError):
            db.session.execute(text("SELECT 1"))
        db.session.execute(text("SELECT 1"))
        return "unreachable"

    app.add_url_rule("/caught", "caught", caught_then_next)
    db.session.remove()
    for htmx in (False, True):
        response = client.get("/caught", htmx=htmx)
        assert response.status_code == 503 and "Retry-After" in response.headers
    assert client.get("/auth/login").status_code == 200


def test_only_a_transaction_lost_with_its_connection_counts_as_unavailable():
    assert database.is_unavailable(PendingRollbackError(
        "Can't reconnect until invalid transaction is rolled back", code="8s2b"))
    assert not database.is_unavailable(PendingRollbackError(
        "This Session's transaction has been rolled back due to a previous exception during "
        "flush", code="7s2a"))


@pytest.mark.skipif(not is_postgres(TEST_DATABASE_URL), reason="PostgreSQL only")
def test_a_connection_killed_after_the_last_statement_does_not_break_the_teardown(app, client):
    """Killed between the request's last statement and the end of the request: the answer
    is already made; closing the session (its ROLLBACK fails) must not turn it into the
    server's bare 500, and the next request gets a new connection."""
    def after_last_statement():
        db.session.execute(text("SELECT 1"))
        _kill_other_backends()
        return "answered"

    app.add_url_rule("/after-last", "after_last", after_last_statement)
    db.session.remove()
    response = client.get("/after-last")
    assert response.status_code == 200 and response.get_data(as_text=True) == "answered"
    assert client.get("/auth/login").status_code == 200


def test_readiness_says_not_ready_when_the_redis_limits_store_is_down():
    """With the limits in Redis (several processes), a Redis that refuses connections makes
    the instance not ready: no login could be counted. Port 1: nothing listens there."""
    pytest.importorskip("redis")
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    reset_database(app)
    with app.app_context():
        response = app.test_client().get("/healthz/ready")
        db.session.remove()
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "database": "ok", "limits": "unreachable"}


def test_the_503_log_line_holds_no_forged_line_and_no_password_token(app, refused, client,
                                                                      login, caplog):
    """The text log (the default outside production) writes the path percent-decoded: a
    ``%0A`` would start a forged line, and a password link's path is its token."""
    anonymous = app.test_client()
    login("manager")
    with refused(), caplog.at_level("INFO"):
        token = anonymous.get("/auth/password/SECRET-TOKEN-42")
        forged = client.get("/board%0A[2026-12-01] ERROR forged line", htmx=True)
    assert token.status_code == 503 and forged.status_code == 503
    messages = [record.getMessage() for record in caplog.records
                if record.name.startswith("incubator")]
    assert any("/auth/password/<token>" in message for message in messages), messages
    assert any("/board\\x0a[2026-12-01] ERROR forged line" in message
               for message in messages), messages
    assert not any("SECRET-TOKEN" in message or "\n" in message for message in messages)
