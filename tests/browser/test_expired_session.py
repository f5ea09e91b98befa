"""A session that ends behind the user's back: the next htmx request opens the login page
(never swapped into a fragment), a dragged card goes back to its true column, and logging in
brings the user back to the page they were on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from incubator.extensions import db
from incubator.models import Notification, Project

from .. import factories
from .conftest import log_in
from .test_board import drag


@pytest.fixture
def desk(live_app):
    """An advisor, one project in each of the first two stages, one unread notification."""
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann")
        garage = factories.project(title="Garage solidaire", stage_position=1, advisor=advisor)
        factories.project(title="Recyclerie", stage_position=2, advisor=advisor)
        db.session.add(Notification(user_id=advisor.id, kind="idea_submitted",
                                    project_id=garage.id, detail={"title": "Garage solidaire"}))
        db.session.commit()
        stages = {s.position: s.id for s in factories.stages()}
        return {"garage": garage.id, "stages": stages}


def _end_session(page: Page) -> None:
    page.context.clear_cookies()


def _log_in_here(page: Page) -> None:
    page.get_by_label("Adresse e-mail").fill("yann@cades.example")
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_drag_after_the_session_ended_puts_the_card_back_and_opens_the_login_page(
        page: Page, live_server, live_app, desk):
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/board?mine=1")
    page.wait_for_load_state("load")
    garage = page.locator(f"#project-{desk['garage']}")
    first, second = (f"#cards-stage-{desk['stages'][n]}" for n in (1, 2))
    expect(page.locator(f"{first} #project-{desk['garage']}")).to_be_visible()

    # Where the card is once the move's answer is handled (the page then goes away: the
    # note survives in sessionStorage). The card's own handler has run by then.
    page.evaluate("""() => document.body.addEventListener("htmx:afterRequest", (event) => {
      const list = event.target.closest(".cards");
      sessionStorage.setItem("column", list ? list.id : "none");
    })""")
    _end_session(page)
    drag(page, garage, page.locator(f"{second} .card").first)

    expect(page).to_have_url(re.compile(r"/auth/login\?next=/board"))
    assert page.evaluate("sessionStorage.getItem('column')") == first[1:]
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.locator(".card")).to_have_count(0)  # no board inside the login page
    with live_app.app_context():
        assert db.session.get(Project, desk["garage"]).stage_id == desk["stages"][1]

    _log_in_here(page)
    expect(page).to_have_url(re.compile(r"/board\?mine=1$"))
    # The card is in its true column.
    expect(page.locator(f"{first} #project-{desk['garage']}")).to_be_visible()
    expect(page.locator(f"{second} #project-{desk['garage']}")).to_have_count(0)


def test_a_failed_move_puts_the_card_back_in_its_true_column(page: Page, live_server,
                                                             live_app, desk, monkeypatch):
    """Any failure but a refusal (which re-renders the card itself): here a server error."""
    import incubator.board.routes

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(incubator.board.routes, "move_project", broken)
    live_app.config["PROPAGATE_EXCEPTIONS"] = False  # the app's own 500 fragment
    # A page of the same browser that the console watcher does not watch: htmx rightly logs
    # the 500 as an error there.
    page = page.context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "yann@cades.example")
    garage = page.locator(f"#project-{desk['garage']}")
    first, second = (f"#cards-stage-{desk['stages'][n]}" for n in (1, 2))
    drag(page, garage, page.locator(f"{second} .card").first)
    expect(page.locator("#messages")).to_contain_text("Une erreur est survenue")
    expect(page.locator(f"{first} #project-{desk['garage']}")).to_be_visible()
    expect(page.locator(f"{second} #project-{desk['garage']}")).to_have_count(0)
    with live_app.app_context():
        assert db.session.get(Project, desk["garage"]).stage_id == desk["stages"][1]


def test_the_bell_after_the_session_ended_opens_the_login_page(page: Page, live_server, desk):
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/next-steps")
    page.wait_for_load_state("load")
    _end_session(page)
    page.locator("#notification-bell-link").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/next-steps$"))
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.locator("#notification-menu")).to_have_count(0)

    _log_in_here(page)
    expect(page).to_have_url(re.compile(r"/next-steps$"))


def test_opening_the_menu_marks_nothing_read_following_a_link_does(page: Page, live_server,
                                                                   live_app, desk):
    log_in(page, live_server, "yann@cades.example")
    page.locator("#notification-bell-link").click()
    menu = page.locator("#notification-menu")
    expect(menu).to_contain_text("Garage solidaire")
    with live_app.app_context():
        assert db.session.query(Notification).filter_by(read_at=None).count() == 1
    menu.get_by_role("link", name=re.compile("Garage solidaire")).click()
    expect(page).to_have_url(re.compile(rf"/projects/{desk['garage']}$"))
    with live_app.app_context():
        assert db.session.query(Notification).filter_by(read_at=None).count() == 0
