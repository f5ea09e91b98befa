"""The board's revision (incubator/revisions.py), its whole-columns cache and its 304
(board/pages.py): an unchanged board is answered from the cache, or with 304 to a browser
that holds it; every change to what the board shows — written by the ORM's unit of work, by
an ORM bulk update, by raw SQL through the session, or through a route — gives a new ETag
and the new content; so do a day passing, a language switch and another user's "mine"."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from incubator import revisions
from incubator.board import pages
from incubator.extensions import db
from incubator.models import (
    Project,
    Revision,
    Stage,
    Theme,
    User,
)
from incubator.next_steps.queries import today

from . import factories
from .board_changes import CARD, COLUMN, PAGE, changes, make_change, setting
from .conftest import is_postgres
from .helpers import count_statements

HTMX = {"HX-Request": "true"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def empty_cache(app):
    app.config["BOARD_PAGE_CACHE_KB"] = 8192
    pages.clear()
    yield
    pages.clear()


def _without_tokens(html: str) -> str:
    """The page without its CSRF tokens (signed anew, with the instant, at each render)."""
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_an_unchanged_board_is_304_with_an_empty_body(client, login):
    login("advisor")
    factories.project(title="Épicerie mobile")
    db.session.commit()
    first = client.get("/board")
    assert first.status_code == 200 and "Épicerie mobile" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.headers["ETag"].startswith('W/"')
    again = client.get("/board", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in again.headers["Vary"]
    other = client.get("/board", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200 and "Épicerie mobile" in other.get_data(as_text=True)


def test_an_unchanged_htmx_board_is_304_and_keeps_its_htmx_headers(client, login):
    login("advisor")
    project = factories.project(title="Garage solidaire")
    db.session.commit()
    first = client.get("/board?show=all", headers=HTMX)
    assert first.status_code == 200 and 'id="board"' in first.get_data(as_text=True)
    assert "<html" not in first.get_data(as_text=True)
    assert first.headers["HX-Push-Url"] == "/board?show=all"
    again = client.get("/board?show=all", headers={**HTMX, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["HX-Push-Url"] == "/board?show=all"
    assert f"project-{project.id}" in again.headers["HX-Trigger-After-Settle"]
    # The page and the fragment never share an ETag (nor a cached part).
    page = client.get("/board?show=all", headers={"If-None-Match": first.headers["ETag"]})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_a_cached_board_is_the_page_an_uncached_render_gives(app, client, login):
    login("advisor")
    for n in range(3):
        factories.project(title=f"Projet {n}", holders=[factories.user()])
    db.session.commit()
    for address in ("/board", "/board?show=all", "/board?q=projet"):
        app.config["BOARD_PAGE_CACHE_KB"] = 0
        uncached = _without_tokens(client.get(address).get_data(as_text=True))
        app.config["BOARD_PAGE_CACHE_KB"] = 8192
        first = _without_tokens(client.get(address).get_data(as_text=True))
        second = _without_tokens(client.get(address).get_data(as_text=True))
        assert uncached == first == second
    assert pages.stats()["hits"] == 3


def test_a_cached_board_costs_the_session_the_revision_and_the_layout(client, login):
    login("advisor")
    for n in range(5):
        factories.project(title=f"Projet {n}", holders=[factories.user()])
    db.session.commit()
    with count_statements() as missed:
        first = client.get("/board")
    with count_statements() as hit:
        assert client.get("/board").status_code == 200
    with count_statements() as conditional:
        assert client.get("/board", headers={"If-None-Match": first.headers["ETag"]}
                          ).status_code == 304
    assert len(hit) < len(missed) - 5, (len(hit), len(missed))
    assert len(conditional) <= len(hit)
    assert any("revisions" in s for s in hit)


def _board(client, address="/board", **headers):
    response = client.get(address, headers=headers)
    assert response.status_code == 200
    return response.headers.get("ETag"), response.get_data(as_text=True)


@pytest.mark.parametrize("change, expected, part", changes(CARD, COLUMN, PAGE))
def test_every_change_to_what_the_board_shows_gives_a_new_etag_and_content(
        client, login, change, expected, part):
    people = setting(login)
    for address, headers in (("/board", {}), ("/board", HTMX), ("/board?show=all", {})):
        tag, html = _board(client, address, **headers)
        assert expected not in html
    page_tag, _html = _board(client)
    fragment_tag, _html = _board(client, **HTMX)
    make_change(change, **people)
    db.session.commit()
    tag, html = _board(client, "/board", **{"If-None-Match": page_tag})
    assert tag != page_tag and expected in html
    if part != PAGE:  # the page's, not the columns'
        tag, html = _board(client, "/board", **{**HTMX, "If-None-Match": fragment_tag})
        assert tag != fragment_tag and expected in html
        assert expected in _board(client, "/board?show=all")[1]


BULK = [
    ("title", lambda p: update(Project).where(Project.id == p["project"].id)
     .values(title="Titre nouveau"), "Titre nouveau"),
    ("holder", lambda p: update(User).where(User.id == p["holder"].id)
     .values(name="Nolwenn Renommée"), "Nolwenn Renommée"),
    ("theme", lambda p: update(Theme).where(Theme.id == p["project"].theme_id)
     .values(name_en="Thème renommé"), "Thème renommé"),
    ("stage", lambda p: update(Stage).where(Stage.id == p["project"].stage_id)
     .values(name_en="Étape renommée"), "Étape renommée"),
    ("raw SQL", lambda p: text("UPDATE users SET name = 'Advisor Renamed' WHERE id = :id")
     .bindparams(id=p["advisor"].id), "Advisor Renamed"),
]


@pytest.mark.parametrize("change, statement, expected", BULK, ids=[b[0] for b in BULK])
def test_a_bulk_update_or_raw_sql_through_the_session_gives_a_new_board(
        client, login, change, statement, expected):
    people = setting(login)
    tag, html = _board(client)
    assert expected not in html
    db.session.execute(statement(people))
    db.session.commit()
    new_tag, html = _board(client, **{"If-None-Match": tag})
    assert new_tag != tag and expected in html


def test_a_move_through_the_route_gives_a_new_board(client, login):
    login("advisor")
    project = factories.project(title="Atelier vélo")
    db.session.commit()
    tag, html = _board(client)
    token = re.search(r'id="board-token" name="token" value="([^"]*)"', html).group(1)
    target = factories.stage(2)
    moved = client.post(f"/projects/{project.id}/move", htmx=True,
                        data={"stage_id": target.id, "version": project.version, "token": token})
    assert moved.status_code == 200
    new_tag, html = _board(client, **{"If-None-Match": tag})
    assert new_tag != tag
    column = html[html.index(f'id="column-stage-{target.id}"'):]
    assert f'id="project-{project.id}"' in column[:column.index("</section>")]


def test_a_login_alone_does_not_change_the_revision(client, auth):
    """A login writes the user's login time (and the session's row): not what the board
    shows, so every board cache stays valid."""
    manager = factories.user(role="manager", email="gestion@example.org")
    db.session.commit()
    before = revisions.current()
    db.session.commit()
    auth.login("gestion@example.org")
    db.session.expire_all()
    assert db.session.get(User, manager.id).last_login_at is not None
    assert revisions.current() == before


def test_a_holder_choosing_a_language_or_mail_setting_leaves_the_boards_cached(
        client, login):
    """Nothing of the board: any holder clicking EN/FR or their notification box would
    otherwise empty every worker's board cache."""
    holder = login("holder")
    db.session.commit()
    before = revisions.current()
    db.session.commit()
    assert client.post("/language", data={"locale": "fr", "next": "/"}).status_code in (302, 303)
    assert client.post("/notifications/preferences", data={}).status_code in (200, 302, 303)
    db.session.expire_all()
    changed = db.session.get(User, holder.id)
    assert changed.locale == "fr" and changed.email_notifications is False
    assert revisions.current() == before


def test_a_day_passing_gives_a_new_etag(client, login, monkeypatch):
    login("advisor")
    factories.project(title="Ferme urbaine")
    db.session.commit()
    tag, _html = _board(client)
    tomorrow = today() + timedelta(days=1)
    monkeypatch.setattr(pages, "pole_today", lambda: tomorrow)
    new_tag, _html = _board(client, **{"If-None-Match": tag})
    assert new_tag != tag


def test_a_part_is_rendered_again_when_a_cards_day_count_changes(app, client, login):
    """Days in stage are counted from the instant the card entered its stage, not from
    midnight: the part expires at the first such instant of its cards."""
    login("advisor")
    project = factories.project(title="Café associatif")
    project.stage_entered_at = datetime.now(UTC) - timedelta(days=3) + timedelta(seconds=2)
    db.session.commit()
    tag, html = _board(client)
    assert "2 days in stage" in html
    time.sleep(2.5)
    new_tag, html = _board(client, **{"If-None-Match": tag})
    assert "3 days in stage" in html and new_tag != tag


def test_a_cached_part_lives_at_most_its_seconds(app, client, login):
    login("advisor")
    factories.project(title="Café associatif")
    db.session.commit()
    app.config["BOARD_CACHE_SECONDS"] = 0
    _board(client)
    _board(client)
    assert pages.stats()["hits"] == 0


def test_a_language_switch_gives_another_board(client, login):
    login("advisor")
    factories.project(title="Jardin partagé")
    db.session.commit()
    english_tag, english = _board(client, **{"Accept-Language": "en"})
    french_tag, french = _board(client, **{"Accept-Language": "fr", "If-None-Match": english_tag})
    assert french_tag != english_tag
    assert "days in stage" in english and "jours dans l’étape" in french


def test_two_users_never_share_their_mine_board(client, auth, login):
    first = login("advisor")
    mine = factories.project(title="Le mien", advisor=first)
    db.session.commit()
    tag, html = _board(client, "/board?mine=1")
    assert "Le mien" in html
    auth.logout()
    second = login("manager")
    theirs = factories.project(title="Le sien", advisor=second)
    db.session.commit()
    new_tag, html = _board(client, "/board?mine=1", **{"If-None-Match": tag})
    assert new_tag != tag and "Le sien" in html and "Le mien" not in html
    assert mine.id != theirs.id


def test_two_users_never_share_a_page_etag(client, auth, login):
    login("advisor")
    db.session.commit()
    tag, html = _board(client)
    auth.logout()
    login("manager")
    db.session.commit()
    new_tag, html = _board(client, **{"If-None-Match": tag})
    assert new_tag != tag


def test_logging_out_asks_the_browser_to_forget_the_board_it_kept(client, login):
    """The board is ``private, no-cache`` (kept by the browser for its 304s): after a logout
    on a shared computer, Back must not show it from the browser's cache."""
    login("advisor")
    factories.project(title="Atelier vélo")
    db.session.commit()
    assert _board(client)[0] is not None
    refused = client.post("/auth/logout", csrf=False)  # not a logout: nothing cleared
    assert refused.status_code == 400 and "Clear-Site-Data" not in refused.headers
    response = client.post("/auth/logout")
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/board").status_code == 302


def test_a_cached_page_does_not_outlive_the_filter_lists_it_shows(
        app, client, login, monkeypatch):
    """The filter lists are kept per process while the choices revision holds, at most
    BOARD_FILTER_CHOICES_SECONDS (30 s here). A theme added is offered at once (a new
    revision); one written where the revision does not see it (``psql``: simulated by
    putting the old value back) is offered once the lists' bound passes, not
    BOARD_CACHE_SECONDS (60 s) later: a page part does not outlive the lists it shows."""
    app.config["BOARD_FILTER_CHOICES_SECONDS"] = 30
    app.config["BOARD_CACHE_SECONDS"] = 60
    offset = [0.0]
    real_time, real_monotonic = time.time, time.monotonic
    monkeypatch.setattr(time, "time", lambda: real_time() + offset[0])
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + offset[0])
    login("manager")
    factories.project(title="Tiers-lieu")
    db.session.commit()
    assert "Tiers-lieu" in _board(client)[1]  # the lists read now
    db.session.add(Theme(name="Filière nouvelle", position=99))
    db.session.commit()
    assert ">Filière nouvelle</option>" in _board(client)[1]  # a new revision: at once

    unseen = {name: revisions.current(name) for name in ("board", "choices")}
    db.session.add(Theme(name="Filière cachée", position=100))
    db.session.commit()
    for name, value in unseen.items():
        db.session.execute(update(Revision).where(Revision.name == name).values(value=value))
    db.session.commit()
    offset[0] = 20
    html = _board(client)[1]  # the same revision: the page and its lists kept
    assert ">Filière nouvelle</option>" in html and "Filière cachée" not in html
    offset[0] = 35
    assert ">Filière cachée</option>" in _board(client)[1]  # the lists' bound, not more


def test_a_session_ended_elsewhere_makes_the_browser_forget_the_board(client, login):
    """A login that ended without this browser's logout (idle, ended from another device):
    the next request — the board's own poll — asks the browser to drop the board it kept."""
    from incubator.models import UserSession

    advisor = login("advisor")
    factories.project(title="Ressourcerie")
    db.session.commit()
    tag, _html = _board(client)
    assert "Clear-Site-Data" not in client.get("/board").headers
    db.session.execute(update(UserSession).where(UserSession.user_id == advisor.id)
                       .values(ended_at=datetime.now(UTC), ended_reason="ended_by_user"))
    db.session.commit()
    poll = client.get("/board/changes?token=x", headers=HTMX)
    assert poll.status_code == 401 and "/auth/login" in poll.headers["HX-Redirect"]
    assert poll.headers["Clear-Site-Data"] == '"cache"'
    page = client.get("/board", headers={"If-None-Match": tag})
    assert page.status_code == 302 and "ETag" not in page.headers
    # A visitor who never logged in is not told to clear anything.
    client.delete_cookie("session")
    assert "Clear-Site-Data" not in client.get("/board").headers


def test_pending_flashes_are_shown_never_answered_304(client, login):
    login("advisor")
    db.session.commit()
    tag, _html = _board(client)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Message en attente")]
    response = client.get("/board", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "Message en attente" in response.get_data(as_text=True)
    assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_other_pages_stay_no_store(client, login):
    login("advisor")
    response = client.get("/board/closed")
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers


def test_the_cache_keeps_at_most_its_size(app, client, login):
    login("advisor")
    factories.project(title="Recyclerie")
    db.session.commit()
    app.config["BOARD_PAGE_CACHE_KB"] = 1  # smaller than any page: nothing kept
    _board(client)
    assert pages.stats()["size"] == 0
    app.config["BOARD_PAGE_CACHE_KB"] = 8192
    for address in ("/board", "/board?q=a", "/board?q=b"):
        _board(client, address)
    assert pages.stats()["size"] == 3 and pages.stats()["bytes"] <= 8192 * 1024


def test_the_cache_counts_the_memory_its_pages_take_not_their_characters(app, client, login):
    """Python keeps a text at 1, 2 or 4 bytes a character, by its widest one: one emoji in
    a title makes every page showing it 4 bytes a character. The bound is on memory, so an
    attacker's long addresses or a title's emoji cannot make a worker hold 4 times it."""
    import sys

    login("advisor")
    factories.project(title="Fablab 🛠️ du Pays de Redon")
    db.session.commit()
    _board(client)
    (key, part), = pages._parts.items()
    assert sys.getsizeof(str(part.html)) > 3.9 * len(part.html)  # 4 bytes a character
    assert pages.stats()["bytes"] >= sys.getsizeof(str(part.html))
    # A limit between the page's characters and its memory: not kept.
    pages.clear()
    app.config["BOARD_PAGE_CACHE_KB"] = (2 * len(part.html)) // 1024
    _board(client)
    assert pages.stats()["size"] == 0
    # Long addresses count too: the cache never holds more than its limit in them.
    app.config["BOARD_PAGE_CACHE_KB"] = 2 * sys.getsizeof(str(part.html)) // 1024 + 8
    for n in range(4):
        _board(client, f"/board?junk={n}{'x' * 3000}")
        assert pages.stats()["bytes"] <= app.config["BOARD_PAGE_CACHE_KB"] * 1024
    assert 1 <= pages.stats()["size"] <= 2


def test_one_board_asked_with_its_parameters_reordered_repeated_or_padded_is_one_entry(
        client, login):
    login("advisor")
    factories.project(title="Recyclerie", commune="Redon")
    db.session.commit()
    tag, html = _board(client, "/board?commune=redon&q=recyc&show=all")
    assert "Recyclerie" in html
    for address in ("/board?show=all&q=recyc&commune=redon",
                    "/board?q=recyc&commune=redon&show=all&q=other&utm_source=x",
                    f"/board?junk={'x' * 2000}&commune=redon&q=recyc&show=all"):
        again = client.get(address, headers={"If-None-Match": tag})
        assert again.status_code == 304, address
    assert pages.stats()["size"] == 1
    # What the part does read still tells the entries apart.
    assert _board(client, "/board?commune=redon&q=recyc")[0] != tag
    assert _board(client, "/board?commune=redon&q=recyc&show=all", **HTMX)[0] != tag
    assert pages.stats()["size"] == 3


def test_a_statement_is_watched_when_it_writes_a_watched_table():
    touched = revisions.touched
    # Projects are in the funders' report too (report/cache.py).
    assert touched("UPDATE projects SET title=? WHERE projects.id = ?") == {"board", "report"}
    assert touched("INSERT INTO accompaniment_times (minutes) VALUES (?)") == {"report"}
    assert touched('DELETE FROM "next_steps" WHERE id = 1') == {"board"}
    assert touched("insert into themes (name) values ('x')") == {"board", "choices", "report"}
    assert touched("UPDATE users SET name=?, version=? WHERE users.id = ?") == {
        "board", "choices"}
    assert touched("UPDATE users SET last_login_at=? WHERE users.id = ?") == set()
    # The filter lists read a project's status and commune only, and whether a user has a
    # password (an invitation accepted), not when they logged in.
    assert touched("UPDATE projects SET stage_id=?, position=?, version=? WHERE id = ?") == {
        "board", "report"}
    assert touched("UPDATE projects SET commune=?, commune_key=? WHERE id = ?") == {
        "board", "choices", "report"}
    assert touched('UPDATE "projects" SET "status"=?, version=? WHERE id = ?') == {
        "board", "choices", "report"}
    assert touched("INSERT INTO projects (title) VALUES (?)") == {"board", "choices", "report"}
    assert touched("DELETE FROM projects WHERE id = ?") == {"board", "choices", "report"}
    assert touched("UPDATE users SET password_hash=? WHERE users.id = ?") == {"choices"}
    assert touched("INSERT INTO cohort_projects (cohort_id) VALUES (?)") == {"board"}
    assert touched("SELECT * FROM projects FOR UPDATE") == set()
    assert touched("UPDATE user_sessions SET last_seen_at=? WHERE id = ?") == set()
    assert touched("INSERT INTO stage_flow_days (day) VALUES (?) ON CONFLICT DO UPDATE "
                   "SET change = 1") == set()


@pytest.mark.parametrize("statement, expected", [
    # A subquery's WHERE inside SET is not the statement's: the columns after it count.
    ("UPDATE projects SET last_activity_at=(SELECT max(n.at) FROM notes AS n WHERE "
     "n.project_id = projects.id), status=? WHERE projects.id = ?",
     {"board", "choices", "report"}),
    ("UPDATE users SET last_login_at=(SELECT max(s.at) FROM user_sessions AS s WHERE "
     "s.user_id = users.id), role=? WHERE users.id = ?", {"board", "choices"}),
    ("UPDATE users SET locale=(SELECT 'fr' WHERE 1 = 1) RETURNING users.id", set()),
    # A tuple assignment names its columns in parentheses: taken as every column.
    ("UPDATE projects SET (stage_id, status) = (SELECT s.id, 'paused' FROM stages AS s "
     "WHERE s.id = 1) WHERE projects.id = ?", {"board", "choices", "report"}),
    ("UPDATE users SET (locale, active) = (?, ?) WHERE users.id = ?", {"board", "choices"}),
    # PostgreSQL's UPDATE … FROM: the FROM list assigns nothing.
    ("UPDATE projects SET position=v.position FROM (VALUES (1, 2)) AS v(id, position) "
     "WHERE projects.id = v.id", {"board", "report"}),
    # Writes SQLAlchemy does not send but a script might (text()): seen as writes too.
    ("UPDATE ONLY projects SET status = 'closed'", {"board", "choices", "report"}),
    ("DELETE FROM ONLY cohorts WHERE id = 1", {"board", "choices"}),
    ("REPLACE INTO themes (id, name) VALUES (1, 'x')", {"board", "choices", "report"}),
    ("TRUNCATE TABLE mentorships CASCADE", {"board", "choices", "report"}),
    ("truncate user_sessions", {"board", "choices", "report"}),
])
def test_every_write_and_every_column_an_update_assigns_is_seen(statement, expected):
    """``touched`` reads the columns an UPDATE assigns up to the statement's own WHERE,
    FROM or RETURNING, not a subquery's: columns cut off there would leave the filter
    lists (``ONLY_COLUMNS``) or every cache (``IGNORED_COLUMNS``) unbumped."""
    revisions.touched.cache_clear()
    assert revisions.touched(statement) == expected


def test_a_commit_that_changes_two_revisions_bumps_both_in_one_statement(app):
    project = factories.project(title="Épicerie")
    db.session.commit()
    before = revisions.current("board"), revisions.current("report")
    db.session.commit()
    with count_statements() as statements:
        project.title = "Épicerie mobile"
        db.session.commit()
    bumps = [s for s in statements if re.match(r"\s*UPDATE\s+revisions\b", s, re.I)]
    assert len(bumps) == 1
    after = revisions.current("board"), revisions.current("report")
    assert after[0] != before[0] and after[1] != before[1]


@pytest.mark.parametrize("statement", [
    "SELECT projects.id FROM projects WHERE projects.id = ?", "SAVEPOINT sa_savepoint_1",
    "select pg_catalog.version()", "  SELECT 1", "SET search_path TO public",
    "WITH moved AS (SELECT 1) UPDATE projects SET title = ? WHERE id = ?",
    "/* by hand */ DELETE FROM next_steps", "UPDATE users SET last_login_at=? WHERE id = ?",
    "INSERT INTO next_steps (title) VALUES (?)", "DROP TABLE strays", "\n  create table x (y int)",
])
def test_noting_a_statement_does_what_its_analysis_says_every_time(statement):
    """The hook on every statement (``_noted``) skips reads by their first word: what it notes,
    and whether it makes the engines look for the revisions table again (any DROP or CREATE,
    each time, not only the first), stay what ``touched`` and the statement's head say."""
    class Engine:  # something the table's lookup can hold weakly
        pass

    engine = Engine()
    ddl = statement.lstrip().upper().startswith(("DROP", "CREATE"))
    for _ in range(2):  # the second time from the caches
        revisions._known.add(engine)
        conn = type("Conn", (), {"info": {}})()
        revisions._noted(conn, None, statement, (), None, False)
        assert conn.info.get(revisions._DUE, set()) == set(revisions.touched(statement))
        assert (engine in revisions._known) is not ddl


def test_every_table_a_board_reads_is_watched(client, login):
    """A table a board page reads must bump the board's revision when written, or its
    cached columns could be served stale: this list grows with the board's queries."""
    me = login("advisor")
    project = factories.project(title="Épicerie", advisor=me, commune="Redon")
    db.session.commit()
    tables = set(db.metadata.tables)
    read: set[str] = set()
    addresses = ["/board", "/board?show=all", "/board?mine=1&q=epi&commune=redon&theme=1"
                 "&advisor=1&mentor=1&cohort=1", f"/board/stages/{project.stage_id}?after=0"]
    for address in addresses:
        for headers in ({}, HTMX):
            pages.clear()
            with count_statements() as statements:
                assert client.get(address, headers=headers).status_code == 200
            for statement in statements:
                read |= {t for t in tables if re.search(rf'\b(FROM|JOIN)\s+"?{t}"?\b',
                                                        statement)}
    # Read for the user's own parts (in the ETag) or the request's bookkeeping.
    per_user = {"user_sessions", "notifications", "revisions", "security_settings"}
    assert read - per_user <= revisions.WATCHED["board"], read - per_user - revisions.WATCHED["board"]


def test_what_the_filter_lists_read_is_watched_by_their_revision(app):
    """The filter lists are kept while the ``choices`` revision holds: every table they
    read must bump it, and of a project only the columns ``ONLY_COLUMNS`` names may
    decide what they list (a move, which writes others, does not bump it)."""
    from incubator.board.queries import read_filter_choices

    tables = set(db.metadata.tables)
    with app.test_request_context(), count_statements() as statements:
        read_filter_choices()
    read = {t for statement in statements for t in tables
            if re.search(rf'\b(FROM|JOIN)\s+"?{t}"?\b', statement)}
    assert read <= revisions.WATCHED["choices"], read - revisions.WATCHED["choices"]
    columns = {c for statement in statements for c in re.findall(r"\bprojects\.(\w+)", statement)}
    allowed = revisions.ONLY_COLUMNS["choices"]["projects"] | {"id"}  # an id never changes
    assert columns <= allowed, columns - allowed


# Modules that write the database without SQLAlchemy (so without the revision's watch),
# each bumping the revision itself after its write.
RAW_WRITERS = {"incubator/backup.py"}


def test_a_writer_outside_sqlalchemy_bumps_the_revision():
    """``sqlite3``, ``psycopg`` or ``pg_restore`` used directly are not seen by the revision
    watch: such a module must call ``revisions.bump_engine`` after writing (and join
    RAW_WRITERS once it does)."""
    found = set()
    for path in (ROOT / "incubator").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if re.search(r'sqlite3\.connect\(|psycopg\.connect\(|"pg_restore"|"psql"', source):
            found.add(str(path.relative_to(ROOT)))
    assert found <= RAW_WRITERS, found
    assert "bump_engine(engine)" in (ROOT / "incubator/backup.py").read_text()


@pytest.mark.skipif(not is_postgres(), reason="needs two concurrent transactions (PostgreSQL)")
def test_two_concurrent_writers_do_not_deadlock_on_the_revision_row(app):
    """Each writer locks its own row, then (at commit) the revision row: never a cycle."""
    first = factories.project(title="Premier")
    second = factories.project(title="Second")
    db.session.commit()
    ids = [first.id, second.id]
    before = revisions.current()
    db.session.commit()
    both_wrote = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def writer(project_id: int, title: str) -> None:
        try:
            with app.app_context(), db.engine.connect() as connection:
                connection.execute(update(Project).where(Project.id == project_id)
                                   .values(title=title))
                both_wrote.wait()  # both hold a row lock before either commits
                connection.commit()
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(pid, f"Titre {pid}")) for pid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors and not any(t.is_alive() for t in threads)
    db.session.expire_all()
    assert revisions.current() != before
    assert {db.session.get(Project, pid).title for pid in ids} == {f"Titre {pid}" for pid in ids}


def test_the_filter_lists_are_not_read_again_after_a_move_but_are_after_a_new_commune(
        app, client, login):
    """A move changes the board (its page is rendered again) but not its filter lists:
    the ``choices`` revision holds, and the lists kept by the process are used; a project
    placed in a new commune changes both, and the commune is offered at once."""
    app.config["BOARD_FILTER_CHOICES_SECONDS"] = 30
    login("manager")
    first, second = factories.project(title="Tiers-lieu"), factories.project(title="Recyclerie")
    db.session.commit()
    _board(client)  # the page and its lists read
    board, choices = revisions.board_and_choices()
    response = client.post(f"/projects/{first.id}/move", data={
        "stage_id": factories.stage(2).id, "version": first.version}, htmx=True)
    assert response.status_code == 200
    assert revisions.board_and_choices()[0] != board
    assert revisions.board_and_choices()[1] == choices
    with count_statements() as seen:
        html = _board(client)[1]
    assert "Tiers-lieu" in html
    assert not any("commune" in statement and "GROUP BY" in statement for statement in seen)

    second.commune = "Saint-Nicolas-de-Redon"
    db.session.commit()
    assert revisions.board_and_choices()[1] != choices
    assert ">Saint-Nicolas-de-Redon</option>" in _board(client)[1]
